"""Which browser may use a signed-in field app (issue 13, item 1), over a real server, in-process.

The page-level rules the web door relies on: the browser that signed in opens the device; any other
is locked until the engineer's password is given (checked offline against the digest kept at sign-in,
or with the server for a replica from before digests); a page without a key is unlocked alone; signing
out forgets every browser; the replica and its outbox are never touched by any of it.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from mobile.app.state import AppState, FieldApp, PageBinding
from mobile.services.jobs import ActionError
from mobile.services.session import DeviceSession
from tests.support import PASSWORD, Switch, World

MINE, OTHER = "a" * 64, "c" * 64  # key digests of two browsers


async def _signed_in(
    world: World, tmp_path: Path, network: Switch | None = None
) -> tuple[FieldApp, dict[str, str]]:
    job = await world.create_job(engineer="eng1")
    transport = network or httpx.ASGITransport(app=world.app)
    app = FieldApp(tmp_path, session=DeviceSession(tmp_path, transport=transport))
    mine = PageBinding(app, AppState(), MINE)
    await mine.sign_in("http://levee.test", "eng1", PASSWORD, "tablet")
    await app.stop()  # no background sync: the outbox must stay exactly as the engineer left it
    app.actions.edit(uuid.UUID(job["id"]), notes="离线写的备注")  # unsent work that must survive
    return app, job


async def _close(app: FieldApp) -> None:
    await app.stop()
    if app.current is not None:
        await app.current.runner.aclose()


async def test_the_signing_in_browser_is_trusted_and_another_is_locked_until_the_password(
    world: World, tmp_path: Path
) -> None:
    app, _job = await _signed_in(world, tmp_path)
    try:
        pending = app.session.replica.pending_count()
        again = PageBinding(app, state := AppState(), MINE)  # another tab of the same browser
        again.refresh()
        assert state.signed_in and not state.locked and state.user_name == "张伟"

        other = PageBinding(app, locked := AppState(), OTHER)
        other.refresh()
        assert locked.locked and not locked.signed_in and locked.user_name == ""
        assert not await other.unlock("not the password")
        assert locked.locked
        assert await other.unlock(PASSWORD)
        assert locked.signed_in and not locked.locked
        later = PageBinding(app, later_state := AppState(), OTHER)  # the unlocked browser is remembered
        later.refresh()
        assert later_state.signed_in
        assert app.session.replica.pending_count() == pending == 1  # nothing sent, dropped or wiped
        assert app.current is not None  # still signed in all along

        packaged = PageBinding(app, window := AppState(), None)  # the tablet app's own window
        packaged.refresh()
        assert window.signed_in
    finally:
        await _close(app)


async def test_a_page_without_a_browser_key_is_unlocked_alone(world: World, tmp_path: Path) -> None:
    app, _job = await _signed_in(world, tmp_path)
    try:
        keyless = PageBinding(app, state := AppState(), "")
        keyless.refresh()
        assert state.locked
        assert await keyless.unlock(PASSWORD)
        assert state.signed_in
        another = PageBinding(app, other := AppState(), "")
        another.refresh()
        assert other.locked  # no key: nothing to remember the browser by
    finally:
        await _close(app)


async def test_the_password_is_checked_offline_and_a_replica_without_its_digest_asks_the_server(
    world: World, tmp_path: Path
) -> None:
    network = Switch(httpx.ASGITransport(app=world.app))
    app, _job = await _signed_in(world, tmp_path, network)
    try:
        network.online = False  # at the flood site: the digest kept at sign-in answers
        assert await PageBinding(app, AppState(), OTHER).unlock(PASSWORD)

        app.session.replica.set_meta("unlock", None)  # a replica signed in before this version
        with pytest.raises(ActionError) as offline:
            await PageBinding(app, AppState(), "d" * 64).unlock(PASSWORD)
        assert offline.value.code == "unlock_needs_network"
        network.online = True
        assert await PageBinding(app, AppState(), "d" * 64).unlock(PASSWORD)
        assert app.session.can_check_password()  # kept for next time, offline
    finally:
        await _close(app)


async def test_signing_out_forgets_every_browser_and_the_password_digest(
    world: World, tmp_path: Path
) -> None:
    app, _job = await _signed_in(world, tmp_path)
    try:
        assert app.session.browser_bound(MINE) and app.session.can_check_password()
        await app.sign_out()  # pushes the unsent note first
        assert not app.session.browser_bound(MINE) and not app.session.can_check_password()
        again = DeviceSession(tmp_path)  # a restart reads the same from the replica
        assert not again.browser_bound(MINE) and not again.can_check_password()
        again.replica.close()
    finally:
        await _close(app)
