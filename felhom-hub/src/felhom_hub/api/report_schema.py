"""The status report a controller pushes every 15 minutes: the one schema the hub accepts.

Every object allows unknown extra fields, so a newer controller never breaks an older hub; the
hub stores the report exactly as received and reads only the fields declared here.
"""

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from felhom_hub.api.fields import Count, CustomerId, NonNegative, Percent, ShortText, Timestamp
from felhom_hub.status import Health


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class SystemMetrics(_Open):
    cpu_percent: Percent | None = None
    load_average: Annotated[list[NonNegative], Field(max_length=3)] = []
    memory_total_bytes: Count | None = None
    memory_used_bytes: Count | None = None
    swap_total_bytes: Count | None = None
    swap_used_bytes: Count | None = None
    uptime_seconds: Count | None = None
    os: ShortText | None = None
    kernel: ShortText | None = None


class Filesystem(_Open):
    mount_point: ShortText
    device: ShortText | None = None
    fs_type: ShortText | None = None
    label: ShortText | None = None
    uuid: ShortText | None = None
    total_bytes: Count
    used_bytes: Count
    smart_status: Literal["passed", "warning", "failed", "unknown"] | None = None


class Container(_Open):
    name: ShortText
    image: ShortText | None = None
    state: Literal["created", "running", "paused", "restarting", "removing", "exited", "dead"]
    health: Literal["healthy", "unhealthy", "starting", "none"] = "none"
    restart_count: Count = 0


class BackupRun(_Open):
    kind: Literal["restic", "dbdump"]
    target: ShortText
    status: Literal["ok", "failed", "running", "never"]
    last_success_at: Timestamp | None = None
    last_run_at: Timestamp | None = None
    size_bytes: Count | None = None


class App(_Open):
    name: ShortText
    display_name: ShortText | None = None
    version: ShortText | None = None
    status: Literal["running", "degraded", "stopped", "deploying"] = "running"


class Report(_Open):
    customer_id: CustomerId
    hostname: Annotated[str, Field(min_length=1, max_length=253)]
    controller_version: Annotated[str, Field(min_length=1, max_length=64)]
    controller_url: AnyHttpUrl | None = None
    health: Health
    monitoring_paused: bool = False
    timestamp: Timestamp | None = Field(default=None, description="controller clock, informative")
    system: SystemMetrics = SystemMetrics()
    storage: Annotated[list[Filesystem], Field(max_length=256)] = []
    containers: Annotated[list[Container], Field(max_length=1024)] = []
    backups: Annotated[list[BackupRun], Field(max_length=256)] = []
    apps: Annotated[list[App], Field(max_length=512)] = []
