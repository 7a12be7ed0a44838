"""The config form as data: what the edit form shows parses back to the same config."""

from felhom_hub.configs.diff import MASK
from felhom_hub.configs.model import Credentials, StoredConfig
from felhom_hub.web.config_form import parse, values_of
from tests.configs.helpers import TOKEN, managed

OVERRIDES = {
    "api": {"listen": "127.0.0.1:8090", "public_url": "http://127.0.0.1:8090"},
    "backup": {"restic_password": "restic-secret", "max_age_hours": 30},
    "update": {"command": ["/usr/local/bin/update-felhom", "--channel", "stable"]},
}


def posted(values: dict[str, object]) -> dict[str, str]:
    """The form as a browser posts it: strings, CRLF line ends, checked boxes as 'on'."""
    form = {k: str(v).replace("\n", "\r\n") for k, v in values.items() if k != "events"}
    form.update({f"event_{e}": "on" for e in values["events"]})  # type: ignore[attr-defined]
    return form


def test_the_edit_form_parses_back_to_the_stored_config() -> None:
    config = managed(overrides=OVERRIDES, legacy_uuids={"old": "abc-123"}, expect_dbdump=False)
    stored = StoredConfig(config, Credentials("k", "s"))
    values = values_of(config)
    assert TOKEN not in str(values) and "restic-secret" not in str(values)
    assert values["tokens"] == f"cloudflare: {MASK}\n"
    parsed, errors = parse(posted(values), "acme", keep=stored)
    assert errors == {} and parsed == config


def test_a_mask_with_nothing_stored_behind_it_is_refused() -> None:
    values = values_of(managed())
    parsed, errors = parse(posted(values), "acme")  # a new config: nothing to keep
    assert parsed is None and "type the token itself" in errors["tokens"]
