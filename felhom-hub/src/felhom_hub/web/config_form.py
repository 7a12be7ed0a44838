"""The config form (seed "Config Form") as plain data: posted fields → a validated
:class:`ManagedConfig` or per-field errors, and a stored config → the fields to show.

Secrets are never put into the form: tokens show as ``name: ••••••`` and secret keys of the
overrides as ``••••••``; a value left masked keeps the stored one.
"""

import io
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from felhom_hub.configs.diff import MASK, masked
from felhom_hub.configs.model import ManagedConfig, StoredConfig
from felhom_hub.events import EventType

TEXT_FIELDS = ("display_name", "contact_email", "hostname", "notification_email")
EXPECT = {"": None, "always": True, "never": False}
MAX_TEXTAREA = 64 * 1024


class FormErrors(dict[str, str]):
    """Field name → message, shown beside the field."""


def _pairs(text: str, field: str, errors: FormErrors) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or not value.strip():
            errors[field] = f"line {number}: write it as 'name: value'"
            return {}
        pairs[name.strip()] = value.strip()
    return pairs


def _overrides(text: str, errors: FormErrors) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        errors["overrides"] = f"not valid YAML: {str(exc).splitlines()[0]}"
        return {}
    if not isinstance(data, dict):
        errors["overrides"] = "must be a YAML mapping, e.g. 'report: {interval_seconds: 300}'"
        return {}
    return data


def _restore(new: Any, old: Any) -> Any:
    """``new`` with each MASK put back to the value ``old`` has at the same place."""
    if new == MASK:
        return old
    if isinstance(new, dict):
        previous = old if isinstance(old, dict) else {}
        return {k: _restore(v, previous.get(k)) for k, v in new.items()}
    return new


def _number(form: dict[str, str], name: str, errors: FormErrors) -> int | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit():
        errors[name] = "must be a whole number"
        return None
    return int(text)


def _fields(form: dict[str, str], keep: StoredConfig | None, errors: FormErrors) -> dict[str, Any]:
    data: dict[str, Any] = {name: form.get(name, "").strip() for name in TEXT_FIELDS}
    data["stale_threshold_minutes"] = _number(form, "stale_threshold_minutes", errors)
    cooldown = _number(form, "cooldown_hours", errors)
    data["cooldown_hours"] = 6 if cooldown is None else cooldown
    for name in ("expect_restic", "expect_dbdump"):
        data[name] = EXPECT.get(form.get(name, ""))
    data["enabled_events"] = [e.value for e in EventType if form.get(f"event_{e.value}")]
    data["legacy_uuids"] = _pairs(form.get("legacy_uuids", ""), "legacy_uuids", errors)
    tokens = _pairs(form.get("tokens", ""), "tokens", errors)
    overrides = _overrides(form.get("overrides", ""), errors)
    if keep is not None:
        tokens = _restore(tokens, keep.config.tokens)
        overrides = _restore(overrides, keep.config.overrides)
    if MASK in tokens.values():  # a name the stored config does not have
        errors["tokens"] = f"{MASK} stands for a stored token; type the token itself"
    data["tokens"], data["overrides"] = tokens, overrides
    return data


def normalized(form: dict[str, str]) -> dict[str, str]:
    """Browsers post a textarea's lines with CRLF; the hub keeps LF."""
    return {name: value.replace("\r\n", "\n") for name, value in form.items()}


def parse(
    form: dict[str, str], customer_id: str, keep: StoredConfig | None = None
) -> tuple[ManagedConfig | None, FormErrors]:
    """The posted form as a config, or None and the errors. ``keep``: the stored config whose
    masked secrets the form leaves as they are."""
    form = normalized(form)
    if any(len(value) > MAX_TEXTAREA for value in form.values()):
        return None, FormErrors(form="a field is longer than 64 KiB")
    errors = FormErrors()
    data = _fields(form, keep, errors)
    data["customer_id"] = customer_id
    try:
        config = ManagedConfig.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            errors.setdefault(field, error["msg"].removeprefix("Value error, "))
        return None, errors
    return (None, errors) if errors else (config, errors)


def _lines(pairs: dict[str, str], secret: bool) -> str:
    return "".join(f"{name}: {MASK if secret else value}\n" for name, value in pairs.items())


def values_of(config: ManagedConfig) -> dict[str, Any]:
    """What the edit form shows for a stored config (secrets masked)."""
    overrides = ""
    if config.overrides:
        out = io.StringIO()
        YAML(typ="safe", pure=True).dump(masked("overrides", config.overrides), out)
        overrides = out.getvalue()
    flags = {True: "always", False: "never", None: ""}
    return {
        **{name: getattr(config, name) for name in TEXT_FIELDS},
        "customer_id": config.customer_id,
        "stale_threshold_minutes": config.stale_threshold_minutes or "",
        "cooldown_hours": config.cooldown_hours,
        "expect_restic": flags[config.expect_restic],
        "expect_dbdump": flags[config.expect_dbdump],
        "events": {str(e) for e in config.enabled_events},
        "legacy_uuids": _lines(config.legacy_uuids, secret=False),
        "tokens": _lines(config.tokens, secret=True),
        "overrides": overrides,
    }


def values_posted(form: dict[str, str]) -> dict[str, Any]:
    """The posted fields, shown again beside their errors."""
    events = {e.value for e in EventType if form.get(f"event_{e.value}")}
    return {**normalized(form), "events": events}
