"""``GET /api/v1/config/{customer_id}``: a fresh node downloads its generated controller.yaml
with the customer's retrieval password (not its API key)."""

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, Response, status

from felhom_hub.api.deps import Db
from felhom_hub.api.fleet import CustomerPath
from felhom_hub.configs.service import ActionError, ConfigService
from felhom_hub.secrets import same, token_hash
from felhom_hub.store import configs, customers

router = APIRouter(prefix="/api/v1", tags=["config"])


@router.get(
    "/config/{customer_id}",
    response_class=Response,
    responses={
        200: {"content": {"application/yaml": {}}, "description": "the controller.yaml"},
        401: {"description": "unknown customer or wrong retrieval password"},
        403: {"description": "customer is blocked"},
        404: {"description": "no controller.yaml generated yet (a customer without a config)"},
        503: {"description": "the config cannot be generated now (no template, unknown key)"},
    },
)
async def controller_config(
    customer_id: CustomerPath,
    request: Request,
    db: Db,
    x_retrieval_password: Annotated[str | None, Header()] = None,
) -> Response:
    """The generated controller.yaml, authenticated by the customer's retrieval password."""
    config = await db.reading(lambda conn: customers.get(conn, customer_id=customer_id))
    given = token_hash(x_retrieval_password or "")
    stored = config.retrieval_password_hash if config else None
    if config is None or stored is None or not same(stored, given):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown customer or wrong X-Retrieval-Password"
        )
    if config.blocked:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this customer is blocked")
    if not await db.reading(lambda conn: configs.exists(conn, customer_id=customer_id)):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "no controller.yaml has been generated for this customer yet"
        )
    service: ConfigService = request.app.state.config_service
    try:
        generated = await service.generated(customer_id)
    except ActionError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": "inline; filename=controller.yaml",
    }
    return Response(generated.text, media_type="application/yaml", headers=headers)
