"""The :8082 callback server: iPXE boot scripts, inspection reports, provisioning callbacks.

`create_app(store, settings)` builds the FastAPI app, `serve(app, host, port, stop)` runs it in
the current event loop. Pure parts: `boot` (iPXE rendering), `tokens`, `reports`, `ratelimit`.
"""

from beskar7.callback.app import create_app
from beskar7.callback.serve import serve
from beskar7.callback.settings import CallbackSettings

__all__ = ["CallbackSettings", "create_app", "serve"]
