"""The dashboard's pages: fleet overview, customers list, the unified customer page."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from fastapi import APIRouter
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from felhom_hub.config import Settings
from felhom_hub.events import Severity
from felhom_hub.status import CustomerStatus
from felhom_hub.store import (
    Database,
    dashboard,
    events,
    fleet,
    maintenance,
    notifications,
    reports,
    series,
)
from felhom_hub.web.common import render, to_login
from felhom_hub.web.config_actions import config_panel
from felhom_hub.web.customer_view import (
    EVENT_LIMIT,
    PERIODS,
    CustomerData,
    chart_resolution,
    customer_page,
)
from felhom_hub.web.fleet_view import (
    PAGE_SIZE,
    FleetPage,
    FleetQuery,
    SortKey,
    customers_list,
    fleet_page,
    pages_for,
    with_badges,
)
from felhom_hub.web.guard import Visitor, visitor

router = APIRouter(include_in_schema=False)
BADGE_WINDOW = timedelta(hours=24)
REFRESH_DEFAULT, REFRESH_MIN, REFRESH_MAX = 60, 2, 3600
NOTIFICATION_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Context:
    who: Visitor
    db: Database
    settings: Settings
    now: datetime


def _context(request: Request) -> Context:
    state = request.app.state
    return Context(visitor(request), state.db, state.settings, state.clock())


def _bad_request(request: Request, who: Visitor, message: str) -> Response:
    return render(request, who, "error.html", {"title": "Bad request", "message": message}, 400)


def parse_fleet_query(params: dict[str, str]) -> FleetQuery:
    """The overview's filter, search, sort and page; ValueError naming a bad parameter."""
    status = params.get("status") or None
    sort = params.get("sort") or SortKey.STATUS.value
    page = params.get("page") or "1"
    if status is not None and status not in CustomerStatus.__members__:
        raise ValueError(f"status must be one of {', '.join(CustomerStatus)}")
    if sort not in {k.value for k in SortKey}:
        raise ValueError(f"sort must be one of {', '.join(SortKey)}")
    if not page.isdigit() or not 1 <= int(page) <= 1_000_000:
        raise ValueError("page must be a positive number")
    search = params.get("q", "").strip()[:100]
    return FleetQuery(CustomerStatus(status) if status else None, search, SortKey(sort), int(page))


def _refresh(params: dict[str, str]) -> int:
    text = params.get("refresh", "")
    value = int(text) if text.isdigit() else REFRESH_DEFAULT
    return min(REFRESH_MAX, max(REFRESH_MIN, value))


def _paged(
    conn: Connection,
    cutoffs: dashboard.Cutoffs,
    filter_: dashboard.Filter,
    query: FleetQuery,
    counts: dict[str, int] | None = None,
) -> tuple[dashboard.Page, FleetQuery]:
    """One page of the filtered fleet; the last page when asked for one beyond it."""
    read = partial(
        dashboard.page, conn, cutoffs, filter_, order=query.sort, limit=PAGE_SIZE, counts_=counts
    )
    found = read(offset=(query.page - 1) * PAGE_SIZE)
    last = pages_for(found.total)
    if query.page > last:
        query = replace(query, page=last)
        found = read(offset=(last - 1) * PAGE_SIZE)
    return found, query


@router.get("/")
async def overview(request: Request) -> Response:
    ctx = _context(request)
    if not ctx.who.operator:
        return to_login(request)
    params = dict(request.query_params)
    try:
        query = parse_fleet_query(params)
    except ValueError as exc:
        return _bad_request(request, ctx.who, str(exc))
    cutoffs = dashboard.Cutoffs.at(ctx.now, ctx.settings.alerting.stale_threshold)
    filter_ = dashboard.Filter(query.status.value if query.status else None, query.search)

    def read(conn: Connection) -> FleetPage:
        counts = dashboard.counts(conn, cutoffs)
        found, shown = _paged(conn, cutoffs, filter_, query, counts)
        view = fleet_page(found, counts, now=ctx.now, query=shown)
        ids = [item.customer_id for item in view.items]
        badges = events.severity_counts(conn, customer_ids=ids, since=ctx.now - BADGE_WINDOW)
        return with_badges(view, badges)

    fleet_view = await ctx.db.reading(read)
    context = {"fleet": fleet_view, "refresh": _refresh(params), "statuses": list(CustomerStatus)}
    return render(request, ctx.who, "fleet.html", {**context, "sorts": list(SortKey)})


@router.get("/configs")
async def customers_page(request: Request) -> Response:
    ctx = _context(request)
    if not ctx.who.operator:
        return to_login(request)
    try:
        query = parse_fleet_query({**request.query_params, "sort": SortKey.CUSTOMER.value})
    except ValueError as exc:
        return _bad_request(request, ctx.who, str(exc))
    cutoffs = dashboard.Cutoffs.at(ctx.now, ctx.settings.alerting.stale_threshold)
    filter_ = dashboard.Filter(None, query.search, include_blocked=True)
    found, shown = await ctx.db.reading(lambda conn: _paged(conn, cutoffs, filter_, query))
    context = {"customers": customers_list(found), "query": shown, "total": found.total}
    return render(request, ctx.who, "configs.html", {**context, "pages": pages_for(found.total)})


def _read_customer(
    conn: Connection, ctx: Context, customer_id: str, period: str, severity: str | None
) -> CustomerData | None:
    rows = fleet.page(conn, after=None, limit=1, only=customer_id)
    if not rows:
        return None
    latest = reports.latest(conn, customer_id=customer_id)
    since = ctx.now - PERIODS[period]
    query = events.Query(
        customer_id=customer_id,
        since=ctx.now - timedelta(days=ctx.settings.retention.max_days),
        severities=(severity,) if severity else (),
        limit=EVENT_LIMIT,
    )
    resolution = chart_resolution(period, ctx.settings.retention)
    return CustomerData(
        row=rows[0],
        report=None if latest is None else latest[1],
        events=events.page(conn, query),
        notifications=notifications.recent_log(
            conn, customer_id=customer_id, limit=NOTIFICATION_LIMIT
        ),
        points=series.points(conn, customer_id=customer_id, resolution=resolution, since=since),
        windows=maintenance.windows(conn, customer_id=customer_id, ending_after=ctx.now),
    )


@router.get("/customers/{customer_id}")
async def customer(request: Request, customer_id: str) -> Response:
    ctx = _context(request)
    if not ctx.who.operator:
        return to_login(request)
    period = request.query_params.get("period") or "24h"
    severity = request.query_params.get("severity") or None
    if period not in PERIODS:
        return _bad_request(request, ctx.who, f"period must be one of {', '.join(PERIODS)}")
    if severity is not None and severity not in {s.value for s in Severity}:
        return _bad_request(request, ctx.who, f"severity must be one of {', '.join(Severity)}")
    data = await ctx.db.reading(
        lambda conn: _read_customer(conn, ctx, customer_id, period, severity)
    )
    if data is None:
        message = "No customer with this id (no config and no report)."
        return render(
            request, ctx.who, "error.html", {"title": "Not found", "message": message}, 404
        )
    stale = ctx.settings.alerting.stale_threshold
    view = customer_page(data, now=ctx.now, stale=stale, period=period, severity=severity)
    context = {"c": view, "periods": list(PERIODS), "severities": list(Severity)}
    context["cfg"] = await config_panel(request, customer_id)
    return render(request, ctx.who, "customer.html", context)
