"""Bearer authentication: the global report key, or a per-customer key bound to one customer."""

import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from felhom_hub.secrets import same, token_hash
from felhom_hub.store import customers


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the fleet-wide key (customer_id None) or one customer's own key."""

    customer_id: str | None

    def may_access(self, customer_id: str) -> bool:
        return self.customer_id is None or self.customer_id == customer_id

    def require(self, customer_id: str) -> None:
        if not self.may_access(customer_id):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "this API key belongs to another customer"
            )


def _unauthorized(reason: str) -> HTTPException:
    # Closed after the answer: the body a refused caller may still be sending is never read.
    headers = {"WWW-Authenticate": "Bearer", "Connection": "close"}
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason, headers=headers)


async def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise _unauthorized("missing 'Authorization: Bearer <api key>' header")
    key = key.strip()
    global_key: str = request.app.state.settings.api.report_api_key
    if global_key and same(key, global_key):
        return Principal(customer_id=None)
    digest = token_hash(key)
    db = request.app.state.db
    found = await db.reading(lambda conn: customers.by_api_key_hash(conn, api_key_hash=digest))
    if found is None or found.api_key_hash is None or not same(found.api_key_hash, digest):
        raise _unauthorized("invalid API key")
    wait = request.app.state.limiter.admit(found.customer_id, request.app.state.clock())
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many requests with this API key",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return Principal(customer_id=found.customer_id)


Caller = Annotated[Principal, Depends(authenticate)]
