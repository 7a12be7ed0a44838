"""The unauthenticated health check."""

from fastapi import APIRouter, Response, status

from felhom_hub import __version__
from felhom_hub.api.deps import Db
from felhom_hub.api.responses import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", responses={503: {"description": "database unavailable"}})
async def healthz(response: Response, db: Db) -> Health:
    """Liveness and database check; needs no authentication."""
    if not db.ping():
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="database unavailable", version=__version__)
    return Health(status="ok", version=__version__)
