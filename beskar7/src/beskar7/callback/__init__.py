"""The :8082 callback server: iPXE boot scripts, inspection reports, provisioning callbacks.

`create_app(store, CallbackSettings(...))` builds the FastAPI app (endpoints listed in `app`);
`serve(app, host, port, stop)` runs it in the current event loop until `stop` is set. The pure
parts are `boot` (iPXE rendering), `tokens`, `reports` (body validation) and `ratelimit`; `hosts`
is what it reads and writes in the store, `service` the operations behind each endpoint.

Booting a server into the inspection image:

- **Per host** (BMC or lab boots iPXE with a fixed URL): chain
  `http://<base>/api/v1/boot/<namespace>/<host>?mac=${net0/mac}`.
- **DHCP** (one iPXE entry point for every server): hand out `http://<base>/boot.ipxe`. It runs
  `dhcp`, then chains `/api/v1/boot/by-mac?mac=${net0/mac}`, which finds the one Inspecting
  PhysicalHost whose annotation `infrastructure.cluster.x-k8s.io/boot-mac` is that MAC (any of
  `aa:bb:..`, `aa-bb-..`, any case). Set the annotation on each host that boots this way; a MAC
  on two inspecting hosts boots neither (logged).

Either way the server gets a script only while its host is Inspecting with inspectionPhase
Booting or InProgress and its consumer Beskar7Machine exists; otherwise 404 with a script that
waits and asks again, the same whether the host exists or not. The script boots
`<inspectionImage>/vmlinuz` and `<inspectionImage>/initrd.img` with `beskar7.api`,
`beskar7.token`, `beskar7.namespace`, `beskar7.host`, `beskar7.target`, `beskar7.config` and
`beskar7.os` (when set), `beskar7.timeout`, `BOOTIF` (from a well-formed `mac`) and the console
parameters. Each render mints a new token (only the newest is valid, for the inspection timeout
plus the deployment window, the manager's --deployment-timeout) and stores only its SHA-256 on
the host (annotation `bootstrap-token`). Every later call
(`/api/v1/inspection`, `/api/v1/bootstrap`, `/api/v1/provisioned`, `/api/v1/provision-failed`)
sends it as `Authorization: Bearer <token>`. What it writes on the host is the provisioning
protocol's steps 3, 4, 6 and 7 (api/protocol.py): step 6 (`deploy`, `seed`) hands the final OS a
single-use NoCloud seed with its bootstrap data and meta-data; at step 7 every token is revoked
and no callback is taken any more.
"""

from beskar7.callback.app import create_app
from beskar7.callback.serve import serve
from beskar7.callback.settings import CallbackSettings

__all__ = ["CallbackSettings", "create_app", "serve"]
