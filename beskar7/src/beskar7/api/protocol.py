"""The provisioning protocol: how a claimed PhysicalHost goes from Available to Ready.

Four parties take part: the Beskar7Machine controller (controllers/machine/), the PhysicalHost
controller (controllers/host/, the only one that talks to the BMC), the callback server
(callback/, which the inspection image and the final OS call) and the inspector (inspector/, in
the inspection image). Each writes only its own object's status; requests travel as the keys
below on the PhysicalHost (one on the Beskar7Machine). The host controller applies a request,
writes the status once, and only then removes the annotation (a metadata patch with the
resourceVersion it read), also while the BMC is unreachable. Docstrings elsewhere cite the steps
by number ("protocol step 4").

Each step: who writes what -> who applies it (and what that does) -> who clears it.

1. **claim**: the machine controller writes the host's `spec.consumerRef` -> the host
   controller: state InUse -> the machine controller sets it to null at release (step 9).
2. **inspect**: the machine controller writes `inspection-request: inspect` -> the host
   controller: boot override cleared, PXE once, power on (ForceRestart when on); state
   Inspecting, phase Booting -> the host controller.
3. **boot**: the callback server (`/api/v1/boot`) writes `bootstrap-token` (JSON {hash,
   issuedAt, expiresAt} of the newest token, never the token) -> the callback server checks
   every later call's bearer token against it; the host controller: phase InProgress -> the
   host controller at release.
4. **report**: the callback server (`/api/v1/inspection`) writes the ConfigMap
   `<host>-inspection-result` (key `report.json`, labels `owned-by`, `host`), then
   `inspection-result-ref` -> the host controller: `status.inspectionReport`, phase Complete ->
   the host controller.
5. **go-ahead**: the machine controller, the report meeting the hardware requirements, writes
   `inspection-request: inspect-complete` -> the host controller (nothing to do at the BMC) ->
   the host controller.
6. **hand-off**: while the machine is Provisioning, the callback server (`/api/v1/handoff`)
   writes `seed-token` (JSON {hash, issuedAt, expiresAt, served} of a single-use secret) and
   answers the inspector with the seed URL `/api/v1/seed/<ns>/<host>/<secret>/`; the inspector
   kexecs the final OS with that URL in its OS family's kernel parameter (no bearer token on
   that command line). The final OS fetches `user-data` (the machine's bootstrap data) and
   `meta-data` (instance-id, local-hostname, provider-id, and a report token whose hash the
   server writes as `report-token`), each at most once -> the callback server at step 7.
   (`/api/v1/bootstrap` still hands the raw bootstrap data to an upstream-style inspector.)
7. **provisioned**: the callback server (`/api/v1/provisioned`, with the inspection or the report
   token) writes `provisioned-request` (a timestamp) and removes `bootstrap-token`,
   `report-token` and `seed-token` (every token of the host is revoked) -> the host controller:
   state Ready -> the host controller. Any callback for a Ready host is refused.
   **failed** (7f): the callback server (`/api/v1/provision-failed`) writes
   `provision-failed-request` (the reason) -> the host controller: phase Failed, state Error
   (only while the host is Inspecting: on a Ready host it does nothing) -> the host controller.
8. **timeout**: the machine controller writes `inspection-request: timeout` -> the host
   controller: power off, phase Timeout -> the host controller.
9. **release**: the machine controller sets `spec.consumerRef` to null, removes
   `inspection-request` and, when the Beskar7Machine carries `force-release`, writes it on the
   host too -> the host controller: boot override cleared and powered off (unless forced),
   inspection fields cleared, back to Available -> the host controller removes every key in
   `CLEARED_ON_RELEASE`.

Outside the steps, `boot-mac` (written by the user or the lab, never cleared) lets the callback
server's `/api/v1/boot/by-mac` find a host by the MAC address it network-boots from.

The Beskar7Machine's phases map onto the steps: Claiming (1), Inspecting (2-4), Validating (the
report against the requirements), Provisioning (5-7), Provisioned (7 applied), Failed (7f, 8 or
unmet requirements, then 9).
"""

from enum import StrEnum

PREFIX = "infrastructure.cluster.x-k8s.io/"


class Annotation(StrEnum):
    """The protocol's annotation keys (on the PhysicalHost unless said otherwise)."""

    INSPECTION_REQUEST = PREFIX + "inspection-request"
    """Steps 2, 5, 8: an `InspectionRequest` from the machine controller."""
    BOOTSTRAP_TOKEN = PREFIX + "bootstrap-token"
    """Step 3: JSON {hash, issuedAt, expiresAt} of the newest token (never the token itself)."""
    INSPECTION_RESULT_REF = PREFIX + "inspection-result-ref"
    """Step 4: the name of the ConfigMap holding the report."""
    PROVISIONED_REQUEST = PREFIX + "provisioned-request"
    """Step 7: when the final OS called back."""
    PROVISION_FAILED_REQUEST = PREFIX + "provision-failed-request"
    """Step 7f: why the deployment failed, as the inspector or the final OS said."""
    SEED_TOKEN = PREFIX + "seed-token"
    """Step 6: JSON {hash, issuedAt, expiresAt, served} of the seed URL's single-use secret."""
    REPORT_TOKEN = PREFIX + "report-token"
    """Step 6: JSON {hash, issuedAt, expiresAt} of the token the final OS reports with."""
    FORCE_RELEASE = PREFIX + "force-release"
    """Step 9, on the Beskar7Machine (and copied to the host): release without Redfish clean-up."""
    BOOT_MAC = PREFIX + "boot-mac"
    """The MAC address the host network-boots from (set by the user or the lab); the callback
    server's `/api/v1/boot/by-mac` finds the host by it."""


class Label(StrEnum):
    """Labels on the inspection-result ConfigMap (step 4)."""

    OWNED_BY = PREFIX + "owned-by"
    HOST = PREFIX + "host"


class InspectionRequest(StrEnum):
    """Values of the inspection-request annotation."""

    INSPECT = "inspect"
    INSPECT_COMPLETE = "inspect-complete"
    TIMEOUT = "timeout"


OWNED_BY = "beskar7"
"""Value of the owned-by label."""
INSPECTION_RESULT_CONFIGMAP_SUFFIX = "-inspection-result"
REPORT_KEY = "report.json"
"""Key of the report in the inspection-result ConfigMap."""
FORCE_RELEASE_VALUE = "true"
"""Value the machine controller writes for force-release; any value but "false" counts."""

CLEARED_ON_RELEASE = (
    Annotation.INSPECTION_REQUEST,
    Annotation.BOOTSTRAP_TOKEN,
    Annotation.INSPECTION_RESULT_REF,
    Annotation.PROVISIONED_REQUEST,
    Annotation.PROVISION_FAILED_REQUEST,
    Annotation.FORCE_RELEASE,
    Annotation.SEED_TOKEN,
    Annotation.REPORT_TOKEN,
)
"""Step 9: what the host controller removes from a released host."""
REVOKED_AT_PROVISIONED = (
    Annotation.BOOTSTRAP_TOKEN,
    Annotation.SEED_TOKEN,
    Annotation.REPORT_TOKEN,
)
"""Step 7: the tokens the callback server removes when the final OS reports provisioned."""
