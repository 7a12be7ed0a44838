"""Notification texts: English for the operator, Hungarian for customers, one title per event
type; the time in Europe/Budapest. Subjects are one line (no header injection); the HTML part is
the escaped text."""

import html
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from felhom_hub.events import EventType, Severity

BUDAPEST = ZoneInfo("Europe/Budapest")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")

TITLES_EN: dict[EventType, str] = {
    EventType.NODE_STALE: "node stopped reporting",
    EventType.NODE_DOWN: "node is down",
    EventType.NODE_RECOVERED: "node recovered",
    EventType.EXPECTED_BACKUP_MISSED: "expected backup missing",
    EventType.EXPECTED_DBDUMP_MISSED: "expected database dump missing",
    EventType.CONTROLLER_STARTED: "controller started",
    EventType.CONTROLLER_UPDATED: "controller updated",
    EventType.CONTROLLER_UPDATE_FAILED: "controller update failed",
    EventType.CONFIG_APPLIED: "configuration applied",
    EventType.CONFIG_APPLY_FAILED: "configuration could not be applied",
    EventType.BACKUP_COMPLETED: "backup completed",
    EventType.BACKUP_FAILED: "backup failed",
    EventType.DBDUMP_COMPLETED: "database dump completed",
    EventType.DBDUMP_FAILED: "database dump failed",
    EventType.RESTORE_COMPLETED: "restore completed",
    EventType.RESTORE_FAILED: "restore failed",
    EventType.APP_DEPLOYED: "application deployed",
    EventType.APP_UPDATED: "application updated",
    EventType.APP_REMOVED: "application removed",
    EventType.CONTAINER_STOPPED: "container stopped",
    EventType.CONTAINER_UNHEALTHY: "container unhealthy",
    EventType.CONTAINER_RESTARTED: "container restarted",
    EventType.DISK_SPACE_LOW: "disk space low",
    EventType.DISK_HEALTH_WARNING: "disk health warning",
    EventType.DRIVE_MISSING: "drive missing",
    EventType.MOUNT_FAILED: "mount failed",
    EventType.CERT_EXPIRING: "certificate expiring",
    EventType.NOTIFY_RELAY: "message from the node",
}

TITLES_HU: dict[EventType, str] = {
    EventType.NODE_STALE: "A szerver nem jelentkezett",
    EventType.NODE_DOWN: "A szerver nem elérhető",
    EventType.NODE_RECOVERED: "A szerver újra elérhető",
    EventType.EXPECTED_BACKUP_MISSED: "Elmaradt a mai biztonsági mentés",
    EventType.EXPECTED_DBDUMP_MISSED: "Elmaradt a mai adatbázismentés",
    EventType.CONTROLLER_STARTED: "A felügyeleti szolgáltatás elindult",
    EventType.CONTROLLER_UPDATED: "A felügyeleti szolgáltatás frissült",
    EventType.CONTROLLER_UPDATE_FAILED: "A felügyeleti szolgáltatás frissítése nem sikerült",
    EventType.CONFIG_APPLIED: "Az új beállítások érvénybe léptek",
    EventType.CONFIG_APPLY_FAILED: "Az új beállításokat nem sikerült alkalmazni",
    EventType.BACKUP_COMPLETED: "A biztonsági mentés elkészült",
    EventType.BACKUP_FAILED: "A biztonsági mentés nem sikerült",
    EventType.DBDUMP_COMPLETED: "Az adatbázismentés elkészült",
    EventType.DBDUMP_FAILED: "Az adatbázismentés nem sikerült",
    EventType.RESTORE_COMPLETED: "A visszaállítás befejeződött",
    EventType.RESTORE_FAILED: "A visszaállítás nem sikerült",
    EventType.APP_DEPLOYED: "Új alkalmazás települt",
    EventType.APP_UPDATED: "Egy alkalmazás frissült",
    EventType.APP_REMOVED: "Egy alkalmazás eltávolításra került",
    EventType.CONTAINER_STOPPED: "Egy szolgáltatás leállt",
    EventType.CONTAINER_UNHEALTHY: "Egy szolgáltatás hibásan működik",
    EventType.CONTAINER_RESTARTED: "Egy szolgáltatás újraindult",
    EventType.DISK_SPACE_LOW: "Fogy a szabad tárhely",
    EventType.DISK_HEALTH_WARNING: "Figyelmeztetés egy merevlemez állapotáról",
    EventType.DRIVE_MISSING: "Egy meghajtó nem található",
    EventType.MOUNT_FAILED: "Egy meghajtót nem sikerült csatolni",
    EventType.CERT_EXPIRING: "Hamarosan lejár egy tanúsítvány",
    EventType.NOTIFY_RELAY: "Üzenet a szerverről",
}

SEVERITY_HU = {
    Severity.INFO: "tájékoztatás",
    Severity.WARNING: "figyelmeztetés",
    Severity.ERROR: "hiba",
}


@dataclass(frozen=True, slots=True)
class Notice:
    """What a notification says: the event as the dispatcher found it."""

    customer_id: str
    hostname: str | None
    event_type: EventType
    severity: Severity
    message: str
    at: datetime
    subject_hint: str | None = None  # a relay's own subject


@dataclass(frozen=True, slots=True)
class Mail:
    subject: str
    text: str

    @property
    def html(self) -> str:
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in self.text.split("\n") if p)
        return (
            f'<!doctype html><html><body style="font-family:sans-serif">{paragraphs}</body></html>'
        )


def one_line(text: str, limit: int = 180) -> str:
    """A header-safe line: control characters (CR, LF, ...) become spaces, then cut to ``limit``."""
    flat = _CONTROL.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _when(at: datetime) -> str:
    return at.astimezone(BUDAPEST).strftime("%Y-%m-%d %H:%M %Z")


def operator_mail(n: Notice, *, flap_summary: bool = False) -> Mail:
    title = (
        "flapping (several outages within the hour)" if flap_summary else TITLES_EN[n.event_type]
    )
    if n.event_type is EventType.NOTIFY_RELAY and n.subject_hint:
        title = n.subject_hint
    subject = one_line(f"[felhom] {n.customer_id}: {title} ({n.severity.value})")
    text = "\n".join(
        [
            f"Customer: {n.customer_id}",
            f"Host: {n.hostname or 'unknown'}",
            f"Event: {n.event_type.value} ({n.severity.value})",
            f"Time: {_when(n.at)}",
            f"Message: {n.message}",
            *(["Further outage notices are held back for an hour."] if flap_summary else []),
        ]
    )
    return Mail(subject, text)


def customer_mail(n: Notice, *, flap_summary: bool = False) -> Mail:
    title = "A szerver elérhetősége ingadozik" if flap_summary else TITLES_HU[n.event_type]
    if n.event_type is EventType.NOTIFY_RELAY and n.subject_hint:
        title = n.subject_hint
    host = n.hostname or n.customer_id
    subject = one_line(f"{title} - {host}")
    text = "\n".join(
        [
            "Kedves Ügyfelünk!",
            f"{title} ({SEVERITY_HU[n.severity]}).",
            f"Szerver: {host}",
            f"Időpont: {_when(n.at)}",
            f"Részletek: {n.message}",
            *(["Az elkövetkező órában erről nem küldünk több értesítést."] if flap_summary else []),
            "Ha kérdése van, válaszoljon erre a levélre.",
            "Üdvözlettel: a felhom csapata",
        ]
    )
    return Mail(subject, text)
