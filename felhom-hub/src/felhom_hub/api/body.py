"""Request bodies, read only after the caller is authenticated, and parsed strictly.

The ingest routes declare no body parameter (FastAPI would read and parse the body before
running the authentication dependency); they call ``parse`` instead and publish their schema
with ``documented``.
"""

from typing import Any, TypeVar

from fastapi import HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from felhom_hub import strictjson
from felhom_hub.api.auth import Principal

M = TypeVar("M", bound=BaseModel)


def documented(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` that declares ``model`` as the route's JSON request body."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def _too_much(retry_after: float) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        "this API key is over its daily byte budget",
        headers={"Retry-After": str(max(1, int(retry_after)))},
    )


async def parse(request: Request, caller: Principal, model: type[M]) -> tuple[M, bytes]:
    """The validated model and the canonical JSON bytes to store."""
    content_type = request.headers.get("content-type", "application/json").lower()
    if "json" not in content_type:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send the body as JSON with 'Content-Type: application/json'",
        )
    raw = await request.body()
    if caller.customer_id is not None:
        limiter = request.app.state.limiter
        wait = limiter.spend(caller.customer_id, len(raw), request.app.state.clock())
        if wait is not None:
            raise _too_much(wait)
    try:
        value, canonical = strictjson.parse(raw)
    except strictjson.JsonError as exc:
        code = 415 if exc.unsupported_encoding else 400
        raise HTTPException(code, str(exc)) from None
    try:
        parsed = model.model_validate(value)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from None
    return parsed, canonical
