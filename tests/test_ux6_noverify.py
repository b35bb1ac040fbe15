"""ux6: a snapshot of another model opened with --no-verify, then asked for its history.

``why --no-verify`` on a file an older model wrote ended with "... --no-verify shows the recorded
world": advice to pass the option the user had just passed. Its ``--help`` said the option
skips comparing the replay with the recording, and it did not: the cause chain needs the
run's history, which is replayed, and compared, whatever the option says."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger import Session
from msidbg.errors import DivergenceError
from tests.conftest import ROOT
from tests.test_cli import msidbg

OLD = ROOT / "tests" / "fixtures" / "v4-msix-write-while-unmasked.msgpack"


def test_why_no_verify_on_an_older_models_file_does_not_advise_no_verify() -> None:
    out = msidbg("why", "--no-verify", str(OLD))
    assert out.returncode == 1, out.stderr
    line = out.stderr.strip()
    assert "\n" not in line and line.startswith(f"msidbg: {OLD}: replay diverged from the recording at event 2")
    assert "--no-verify shows the recorded world" not in line, line
    assert "written by an older model" in line and "msidbg replay --scenario" in line, line
    assert "cause chain" in line, line


def test_verified_open_still_points_at_no_verify() -> None:
    out = msidbg("why", str(OLD))
    assert out.returncode == 1 and "--no-verify shows the recorded world" in out.stderr, out.stderr


def test_a_no_verify_session_that_needs_its_history_says_what_it_cannot_do() -> None:
    s = Session.open(str(OLD), verify=False)
    assert s.cursor == 23           # the recorded world, shown at once
    with pytest.raises(DivergenceError) as e:
        s.step_back()
    assert "--no-verify shows the recorded world" not in e.value.message
    assert "history" in e.value.message and "msidbg replay --scenario" in e.value.message


def test_why_help_no_longer_claims_the_replay_is_not_compared() -> None:
    out = msidbg("why", "--help")
    assert "do not compare its replay with the recording" not in out.stdout
    assert "--no-verify" in out.stdout


def test_report_no_verify_of_the_same_file_still_works(tmp_path: Path) -> None:
    out = msidbg("report", "--no-verify", str(OLD), "-o", str(tmp_path / "r.txt"))
    assert out.returncode == 0, out.stderr
    assert "verified" in (tmp_path / "r.txt").read_text()


def count_replays(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from msidbg.debugger import verify

    calls: list[int] = []
    real = verify.g_replay

    def counted(*args: object, **kw: object) -> object:
        calls.append(1)
        return real(*args, **kw)   # type: ignore[arg-type]

    monkeypatch.setattr(verify, "g_replay", counted)
    return calls


def test_a_diverged_history_is_not_replayed_again_by_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each command that needed the history replayed the whole run again, to diverge again (a
    run is deterministic): in the TUI every press of b froze the screen for a whole replay."""
    calls = count_replays(monkeypatch)
    s = Session.open(str(OLD), verify=False)
    with pytest.raises(DivergenceError) as first:
        s.step_back()
    for command in (s.step_back, lambda: s.seek(3), lambda: s.events(1, 3)):
        with pytest.raises(DivergenceError) as again:
            command()
        assert again.value.message == first.value.message
    assert len(calls) == 1 and not s.history_ready and s.cursor == 23


async def test_the_tui_says_the_history_diverged_rather_than_still_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    from msidbg.tui.app import make_app
    from tests.tui.conftest import screen_text

    calls = count_replays(monkeypatch)
    app = make_app(str(OLD), verify=False, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(300):
            await pilot.pause(0.02)
            if app._session is not None and app.running is None and "replay diverged" in "\n".join(screen_text(app)):
                break
        await pilot.pause()
        text = "\n".join(screen_text(app))
        assert "(no history: its replay diverged" in text and "(history still loading)" not in text, text
        await pilot.press("b", "b")
        await pilot.pause()
        assert app.session.cursor == 23 and len(calls) == 1
