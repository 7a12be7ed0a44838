"""The whole run against a loopback callback API, with kexec replaced by a recording script."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import tarfile
from pathlib import Path

import pytest

from beskar7.inspector import parse_cmdline, run
from beskar7.inspector.client import Client
from beskar7.inspector.deadline import Deadline
from beskar7.inspector.settings import Settings
from tests.inspector.doubles import TOKEN, ApiServer, CmdlineFor, FakeBin, expected_report, tree

REPORT = "/api/v1/inspection/default/vm-01"
HANDOFF = "/api/v1/handoff/default/vm-01"
FAILED = "/api/v1/provision-failed/default/vm-01"
SEED = "http://10.0.2.2:8082/api/v1/seed/default/vm-01/s3cr3t-Q/"
GO_AHEAD = json.dumps({"seedURL": SEED, "format": "cloud-config"}).encode()


def targz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


TARGET = targz(
    {
        "kairos/boot/vmlinuz-6.1.0-28-amd64": b"KERNEL-IMAGE",
        "kairos/boot/initrd.img-6.1.0-28-amd64": b"INITRD-IMAGE",
        "kairos/README": b"target for the tests",
    }
)


def fast(settings: Settings, state_dir: Path, timeout: float = 10.0) -> Settings:
    """Short waits so the retry and polling paths take milliseconds."""
    return dataclasses.replace(
        settings, retry_delay=0.05, poll_interval=0.05, state_dir=state_dir, timeout=timeout
    )


@pytest.fixture
def happy(api: ApiServer) -> ApiServer:
    api.route("POST", REPORT, (503, b"busy"), (503, b"busy"), (202, b'{"status":"accepted"}'))
    api.route("POST", HANDOFF, (404, b""), (404, b""), (200, GO_AHEAD))
    api.route("GET", "/images/target.tar.gz", (200, TARGET))
    api.route("POST", FAILED, (202, b""))
    return api


def no_token_anywhere(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    out, err = capsys.readouterr()
    for text in (caplog.text, out, err):
        assert TOKEN not in text


@dataclasses.dataclass
class Outcome:
    code: int
    api: ApiServer
    kexec: list[list[str]]
    state: Path
    logs: str
    out: str


@pytest.fixture
def happy_run(
    happy: ApiServer,
    cmdline_for: CmdlineFor,
    fake_bin: FakeBin,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> Outcome:
    """Report refused twice (503), go-ahead after two 404s, target tar.gz, kexec recorded."""
    caplog.set_level(logging.DEBUG)
    fake_bin.record("vm", "ip")
    fake_bin.kexec()
    settings = parse_cmdline(cmdline_for(os="talos", config=f"{happy.url}/config/vm-01.yaml"))
    state = tmp_path / "state"
    code = run(
        fast(settings, state), tree("vm"), skip_kexec=False, dry_run=False, path=fake_bin.path
    )
    out, err = capsys.readouterr()
    return Outcome(code, happy, fake_bin.kexec_calls(), state, caplog.text, out + err)


def test_the_report_is_retried_then_the_go_ahead_awaited(happy_run: Outcome) -> None:
    api = happy_run.api
    assert happy_run.code == 0
    assert [(r.method, r.path) for r in api.requests] == [
        *[("POST", REPORT)] * 3,
        *[("POST", HANDOFF)] * 3,
        ("GET", "/images/target.tar.gz"),
    ]
    for request in api.requests[:6]:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "Authorization" not in api.requests[6].headers  # the image server gets no token
    assert json.loads(api.requests[2].body) == expected_report("vm")
    assert api.requests[2].headers["Content-Type"] == "application/json"
    assert "HTTP 503" in happy_run.logs and "(not ready)" in happy_run.logs


def test_the_bootstrap_data_is_not_fetched_or_kept_by_the_inspector(happy_run: Outcome) -> None:
    assert not any(r.path.startswith("/api/v1/bootstrap") for r in happy_run.api.requests)
    assert [p.name for p in happy_run.state.iterdir()] == ["target"]


def test_the_target_is_unpacked_and_kexeced(happy_run: Outcome) -> None:
    url = happy_run.api.url
    boot = (happy_run.state / "target" / "tree" / "kairos" / "boot").resolve()
    assert happy_run.kexec == [
        [
            "--load",
            str(boot / "vmlinuz-6.1.0-28-amd64"),
            "--initrd",
            str(boot / "initrd.img-6.1.0-28-amd64"),
            "--command-line",
            f"console=ttyS0,115200 console=tty0 talos.config={url}/config/vm-01.yaml "
            f"beskar7.seed={SEED} beskar7.api={url} beskar7.namespace=default "
            "beskar7.host=vm-01",
        ],
        ["--exec"],
    ]
    assert (boot / "vmlinuz-6.1.0-28-amd64").read_bytes() == b"KERNEL-IMAGE"
    assert happy_run.api.calls("POST", FAILED) == []


def test_the_token_is_never_logged_or_printed(happy_run: Outcome) -> None:
    assert happy_run.logs and TOKEN not in happy_run.logs
    assert TOKEN not in happy_run.out


def test_backoff_is_one_two_four_seconds(
    api: ApiServer, cmdline_for: CmdlineFor, tmp_path: Path
) -> None:
    sleeps: list[float] = []
    api.route("POST", REPORT, (503, b""), (429, b""), (502, b""), (202, b""))
    settings = dataclasses.replace(parse_cmdline(cmdline_for()), state_dir=tmp_path)
    Client(settings, Deadline(600, sleep=sleeps.append)).post_report({"cpus": []})
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(api.calls("POST", REPORT)) == 4


def test_target_archive_escaping_is_refused_and_reported(
    happy: ApiServer, cmdline_for: CmdlineFor, fake_bin: FakeBin, tmp_path: Path
) -> None:
    fake_bin.kexec()
    happy.route("GET", "/images/target.tar.gz", (200, targz({"../../../evil": b"pwned"})))
    settings = fast(parse_cmdline(cmdline_for()), tmp_path / "state")

    code = run(settings, tree("vm"), skip_kexec=False, dry_run=False, path=fake_bin.path)

    assert code == 5
    [failure] = happy.calls("POST", FAILED)
    assert failure.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "escapes the target directory" in json.loads(failure.body)["reason"]
    assert fake_bin.kexec_calls() == []
    assert not any(path.name == "evil" for path in tmp_path.rglob("*"))


def test_digest_mismatch_posts_provision_failed_and_never_kexecs(
    happy: ApiServer, cmdline_for: CmdlineFor, fake_bin: FakeBin, tmp_path: Path
) -> None:
    fake_bin.kexec()
    wrong = "sha256:" + "0" * 64
    settings = fast(parse_cmdline(cmdline_for(target_digest=wrong)), tmp_path / "state")

    code = run(settings, tree("vm"), skip_kexec=False, dry_run=False, path=fake_bin.path)

    assert code == 5
    [failure] = happy.calls("POST", FAILED)
    actual = "sha256:" + hashlib.sha256(TARGET).hexdigest()
    assert json.loads(failure.body) == {
        "reason": f"target digest mismatch: expected {wrong}, got {actual}"
    }
    assert fake_bin.kexec_calls() == []


def test_bare_kernel_with_initrd_url_and_skip_kexec(
    happy: ApiServer,
    cmdline_for: CmdlineFor,
    fake_bin: FakeBin,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_bin.kexec()
    happy.route("GET", "/images/vmlinuz", (200, b"BARE-KERNEL"))
    happy.route("GET", "/images/initrd.img", (200, b"BARE-INITRD"))
    digest = "sha256:" + hashlib.sha256(b"BARE-KERNEL").hexdigest()
    cmdline = cmdline_for(
        "/images/vmlinuz", target_initrd=f"{happy.url}/images/initrd.img", target_digest=digest
    )
    state = tmp_path / "state"

    code = run(
        fast(parse_cmdline(cmdline), state), tree("vm"), skip_kexec=True, dry_run=False,
        path=fake_bin.path,
    )  # fmt: skip

    assert code == 0
    assert fake_bin.kexec_calls() == []
    assert (state / "target" / "kernel").read_bytes() == b"BARE-KERNEL"
    assert (state / "target" / "initrd").read_bytes() == b"BARE-INITRD"
    out, _ = capsys.readouterr()
    assert out == (
        f"kexec --load {state}/target/kernel --initrd {state}/target/initrd --command-line "
        f"'console=ttyS0,115200 console=tty0 ds=nocloud-net;s={SEED} beskar7.seed={SEED} "
        f"beskar7.api={happy.url} beskar7.namespace=default beskar7.host=vm-01'\nkexec --exec\n"
    )
    assert TOKEN not in caplog.text


def test_kexec_failure_is_reported(
    happy: ApiServer, cmdline_for: CmdlineFor, fake_bin: FakeBin, tmp_path: Path
) -> None:
    fake_bin.kexec(fail="load")
    settings = fast(parse_cmdline(cmdline_for()), tmp_path / "state")
    assert run(settings, tree("vm"), skip_kexec=False, dry_run=False, path=fake_bin.path) == 6
    [failure] = happy.calls("POST", FAILED)
    assert json.loads(failure.body)["reason"] == (
        "kexec --load failed (exit 1): kexec_load failed: Invalid argument"
    )
    assert len(fake_bin.kexec_calls()) == 1  # no --exec after a failed --load


def test_missing_kexec_is_reported(
    happy: ApiServer, cmdline_for: CmdlineFor, fake_bin: FakeBin, tmp_path: Path
) -> None:
    settings = fast(parse_cmdline(cmdline_for()), tmp_path / "state")
    assert run(settings, tree("vm"), skip_kexec=False, dry_run=False, path=fake_bin.path) == 6
    [failure] = happy.calls("POST", FAILED)
    assert json.loads(failure.body)["reason"] == "kexec not found on PATH"


def test_a_rejected_report_is_fatal_without_retry(
    api: ApiServer,
    cmdline_for: CmdlineFor,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api.route("POST", REPORT, (403, b"forbidden"))
    settings = fast(parse_cmdline(cmdline_for()), tmp_path / "state")
    assert run(settings, tree("vm"), skip_kexec=False, dry_run=False, path=str(tmp_path)) == 3
    assert [(r.method, r.path) for r in api.requests] == [("POST", REPORT)]
    assert "HTTP 403" in caplog.text
    no_token_anywhere(caplog, capsys)


def test_once_means_a_single_attempt(
    api: ApiServer, cmdline_for: CmdlineFor, tmp_path: Path
) -> None:
    api.route("POST", REPORT, (503, b""), (202, b""))
    settings = fast(parse_cmdline(cmdline_for()), tmp_path / "state")
    code = run(settings, tree("vm"), skip_kexec=True, dry_run=False, once=True, path="")
    assert code == 3
    assert len(api.requests) == 1


def test_an_unreachable_api_is_retried_until_the_timeout(
    api: ApiServer, cmdline_for: CmdlineFor, tmp_path: Path
) -> None:
    closed = parse_cmdline(cmdline_for().replace(api.url, "http://127.0.0.1:9"))
    settings = fast(closed, tmp_path / "state", timeout=0.5)
    assert run(settings, tree("vm"), skip_kexec=True, dry_run=False, path="") == 3


def test_no_go_ahead_within_the_timeout(
    happy: ApiServer, cmdline_for: CmdlineFor, tmp_path: Path
) -> None:
    happy.route("POST", REPORT, (202, b""))
    happy.route("POST", HANDOFF, (404, b""))
    settings = fast(parse_cmdline(cmdline_for()), tmp_path / "state", timeout=0.5)
    assert run(settings, tree("vm"), skip_kexec=True, dry_run=False, path="") == 4
    assert len(happy.calls("POST", HANDOFF)) >= 3
    [failure] = happy.calls("POST", FAILED)
    assert json.loads(failure.body)["reason"].startswith("no go-ahead from ")


def test_an_unauthorized_handoff_is_fatal(
    happy: ApiServer, cmdline_for: CmdlineFor, tmp_path: Path
) -> None:
    happy.route("POST", REPORT, (202, b""))
    happy.route("POST", HANDOFF, (401, b""), (200, GO_AHEAD))
    settings = fast(parse_cmdline(cmdline_for()), tmp_path / "state")
    assert run(settings, tree("vm"), skip_kexec=True, dry_run=False, path="") == 4
    assert len(happy.calls("POST", HANDOFF)) == 1
    assert "HTTP 401" in json.loads(happy.calls("POST", FAILED)[0].body)["reason"]


def test_a_missing_target_is_reported(
    happy: ApiServer, cmdline_for: CmdlineFor, tmp_path: Path
) -> None:
    settings = fast(parse_cmdline(cmdline_for("/images/gone.tar.gz")), tmp_path / "state")
    assert run(settings, tree("vm"), skip_kexec=True, dry_run=False, path="") == 5
    reason = json.loads(happy.calls("POST", FAILED)[0].body)["reason"]
    assert reason == f"download of {happy.url}/images/gone.tar.gz failed: HTTP 404"


def test_dry_run_touches_no_network(
    happy: ApiServer, cmdline_for: CmdlineFor, fake_bin: FakeBin, tmp_path: Path
) -> None:
    fake_bin.record("vm", "ip")
    out = io.StringIO()
    settings = fast(parse_cmdline(cmdline_for(os="kairos", config="http://c/k.yaml")), tmp_path)
    code = run(settings, tree("vm"), skip_kexec=False, dry_run=True, path=fake_bin.path, out=out)
    assert code == 0
    assert happy.requests == []
    printed = json.loads(out.getvalue())
    assert printed["report"] == expected_report("vm")
    assert printed["plan"][0].startswith(f"POST {happy.url}{REPORT} ")
    assert any("config_url=http://c/k.yaml" in step for step in printed["plan"])
    assert any("beskar7.seed=<seed>/" in step for step in printed["plan"])
    assert not any("beskar7.token" in step for step in printed["plan"])
    assert TOKEN not in out.getvalue()


@pytest.mark.parametrize(
    "answer",
    [b"not json", b"{}", b'{"seedURL": "file:///etc/"}', b'{"seedURL": "http://x/no-slash"}'],
)
def test_a_handoff_without_a_usable_seed_url_is_reported(
    happy: ApiServer, cmdline_for: CmdlineFor, tmp_path: Path, answer: bytes
) -> None:
    happy.route("POST", REPORT, (202, b""))
    happy.route("POST", HANDOFF, (200, answer))
    settings = fast(parse_cmdline(cmdline_for()), tmp_path / "state")
    assert run(settings, tree("vm"), skip_kexec=True, dry_run=False, path="") == 4
    [failure] = happy.calls("POST", FAILED)
    assert "seed URL" in json.loads(failure.body)["reason"]


def test_an_unexpected_error_is_reported_with_the_token_redacted(
    happy: ApiServer, cmdline_for: CmdlineFor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from beskar7.inspector import flow

    def broken(settings: Settings, deadline: Deadline) -> None:
        raise RuntimeError(f"bug near {settings.token}")

    monkeypatch.setattr(flow, "fetch_target", broken)
    happy.route("POST", REPORT, (202, b""))
    happy.route("POST", HANDOFF, (200, GO_AHEAD))
    settings = fast(parse_cmdline(cmdline_for()), tmp_path / "state")
    assert run(settings, tree("vm"), skip_kexec=True, dry_run=False, path="") == 1
    [failure] = happy.calls("POST", FAILED)
    assert json.loads(failure.body) == {
        "reason": "inspector internal error: RuntimeError: bug near <redacted>"
    }


def test_reporting_a_failure_retries_server_errors_a_few_times(
    api: ApiServer, cmdline_for: CmdlineFor, tmp_path: Path
) -> None:
    api.route("POST", FAILED, (500, b""), (503, b""), (202, b""))
    settings = fast(parse_cmdline(cmdline_for()), tmp_path)
    assert Client(settings, Deadline(0)).provision_failed("x" * 300) is True
    calls = api.calls("POST", FAILED)
    assert len(calls) == 3
    assert json.loads(calls[-1].body) == {"reason": "x" * 256}
