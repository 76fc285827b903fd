"""One time zone per installation (issue 11, item 9): the server's ``LEVEE_TIMEZONE``, told to both apps
at sign-in, is the zone the field app, the console, the printed form and the exports write times in,
so one deadline reads the same on the tablet, in the office and on paper."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from console.logic.times import full as console_full
from console.state import ConsoleState, Office
from mobile.app.state import FieldApp
from mobile.services.session import DeviceSession
from server.jobs.form_pdf import FormRenderer
from server.reports.exports import TableMaker
from server.settings import Settings
from shared.local_time import DEFAULT_TIMEZONE, zone
from tests.pdf import pdf_text, squeezed
from tests.support import PASSWORD, World
from ui.text import when as tablet_when

ROOT = Path(__file__).resolve().parents[1]
#: No machine runs in this zone (UTC+12:45), so a reading in it cannot come from the host's own zone.
ODD_ZONE = "Pacific/Chatham"
ZONES = ("Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin", ODD_ZONE, "Pacific/Kiritimati")


@cache
def _printed_form_renderer(tz_name: str) -> FormRenderer:
    """The service form's PDF renderer in one zone, without a document behind it: its ``when`` is the
    code under test; the test below watches a whole form being printed through it."""
    renderer = FormRenderer.__new__(FormRenderer)
    renderer.tz = zone(tz_name)
    return renderer


moments = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(moment=moments, now=moments, tz_name=st.sampled_from(ZONES), lang=st.sampled_from(["zh-CN", "en"]))
def test_a_moment_reads_the_same_on_the_tablet_in_the_console_on_paper_and_in_exports(
    moment: datetime, now: datetime, tz_name: str, lang: str
) -> None:
    tz = zone(tz_name)
    office = console_full(moment, tz)
    assert office == _printed_form_renderer(tz_name).when(moment) == TableMaker(lang, tz).when(moment)
    assert office == moment.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M")
    tablet = tablet_when(lang, moment, now, tz)
    assert office.endswith(tablet)  # the tablet leaves out only what today's date already says
    local, today = moment.astimezone(tz), now.astimezone(tz)
    expected = (
        office[11:] if local.date() == today.date() else office[5:] if local.year == today.year else office
    )
    assert tablet == expected


async def test_the_server_tells_both_apps_its_zone_and_a_deadline_reads_alike_everywhere(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.app.state.settings.timezone = ODD_ZONE  # as LEVEE_TIMEZONE=Pacific/Chatham would
    job = await world.create_job(engineer="eng1")
    deadline = datetime.fromisoformat(job["respond_due_at"])
    transport = httpx.ASGITransport(app=world.app)

    # the tablet: signs in, is told the zone, keeps it in its replica for offline restarts
    session = DeviceSession(tmp_path / "tablet", transport=transport)
    signed = await session.sign_in("http://levee.test", "eng1", PASSWORD, "tablet")
    await signed.runner.aclose()
    tablet = FieldApp(tmp_path / "tablet", session=session)
    assert getattr(tablet.tz, "key", None) == ODD_ZONE
    session.replica.close()
    restarted = FieldApp(tmp_path / "tablet")  # no network needed to know the zone after a restart
    assert getattr(restarted.tz, "key", None) == ODD_ZONE
    restarted.session.replica.close()

    # the console: no --tz given, so it takes the server's
    office = Office(ConsoleState(), "http://levee.test", None, transport=transport)
    await office.sign_in("http://levee.test", "dispatcher", PASSWORD, "office pc")
    assert getattr(office.tz, "key", None) == ODD_ZONE

    # the printed form: every time the real PDF writes, as it writes it
    written: dict[datetime, str] = {}
    real_when = FormRenderer.when

    def watched(renderer: FormRenderer, moment: datetime | None) -> str:
        text = real_when(renderer, moment)
        if moment is not None:
            written[moment] = text
        return text

    monkeypatch.setattr(FormRenderer, "when", watched)
    pdf = await world.client.get(f"/api/jobs/{job['id']}/form.pdf", headers=await world.login("manager"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    paper = written[deadline]
    assert squeezed(paper) in squeezed(pdf_text(pdf.content))  # and it is on the page as printed

    expected = deadline.astimezone(ZoneInfo(ODD_ZONE)).strftime("%Y-%m-%d %H:%M")
    far_day = deadline + timedelta(days=400)  # so the tablet writes the date in full too
    assert console_full(deadline, office.tz) == paper == expected
    assert tablet_when("zh-CN", deadline, far_day, tablet.tz) == expected
    assert tablet_when("zh-CN", deadline, deadline, tablet.tz) == expected[11:]
    await office.sign_out()


def test_the_apps_take_a_tz_override_and_refuse_unknown_zones(tmp_path: Path) -> None:
    app = FieldApp(tmp_path, tz=zone("Europe/Berlin"))
    assert getattr(app.tz, "key", None) == "Europe/Berlin"
    app.session.replica.close()
    fresh = FieldApp(tmp_path / "fresh")  # never signed in: the default, not the host's zone
    assert getattr(fresh.tz, "key", None) == DEFAULT_TIMEZONE
    fresh.session.replica.close()
    assert getattr(Office(ConsoleState(), "http://x", None).tz, "key", None) == DEFAULT_TIMEZONE
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(timezone="Mars/Olympus_Mons")
    for command in (["server.cli", "app"], ["server.cli", "console"], ["mobile.app"], ["console"]):
        refused = subprocess.run(
            [sys.executable, "-m", *command, "--tz", "Mars/Olympus_Mons"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode == 2 and "unknown time zone" in refused.stderr, (command, refused.stderr)


def test_the_login_answer_names_the_zone_in_the_schema() -> None:
    from shared.models import LoginResponse

    answer = LoginResponse(token="t", device_id=uuid.uuid4(), user={  # type: ignore[arg-type]
        "id": str(uuid.uuid4()), "username": "eng1", "display_name": "张伟", "role": "engineer",
        "phone": "", "active": True,
    })  # fmt: skip
    assert answer.timezone == DEFAULT_TIMEZONE
