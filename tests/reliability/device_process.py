"""A field device as its own process, for crash tests: ``python -m tests.reliability.device_process``.

Signs in once (or restores), optionally records N taps, then syncs until told to stop; prints a line
per finished round so the test can time its kill -9.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path

from mobile.services.session import DeviceSession
from shared.enums import JobEventType


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--edits", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    session = DeviceSession(Path(args.data_dir), runner_options={"pull_limit": 50, "push_batch": 50})
    signed = session.restore() or await session.sign_in(args.server, args.user, args.password, "crash test")
    for i in range(args.edits):
        jobs = session.replica.jobs()
        if not jobs:
            break
        job = jobs[i % len(jobs)]
        signed.actions.edit(uuid.UUID(job["id"]), notes=f"crash-test note {i}")
        if i % 7 == 0 and job["status"] in ("assigned", "new"):
            signed.actions.tap(uuid.UUID(job["id"]), JobEventType.ACKNOWLEDGED)
    print(f"recorded pending={session.replica.pending_count()}", flush=True)
    for _ in range(args.rounds):
        ok = await signed.runner.sync_once()
        print(
            f"round ok={ok} pending={session.replica.pending_count()} error={signed.runner.status.last_error}",
            flush=True,
        )
    await signed.runner.aclose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
