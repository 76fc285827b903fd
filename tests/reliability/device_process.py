"""A field device as its own process, for crash tests: ``python -m tests.reliability.device_process``.

Signs in once (or restores), optionally records N taps, then syncs until told to stop. It prints a
line for every pulled page it applied (``page applied ...``), every pushed batch the server answered
(``batch acked ... pending=N``) and every finished round (``round ok=... pending=N``), so a test can
kill -9 on a line, in the middle of the work, and check afterwards that the kill landed there. With
``--edits-per-round`` and ``--interval`` it keeps making work between rounds, like an engineer using
the app while it syncs in the background.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path

from mobile.replica.store import Replica
from mobile.services.session import DeviceSession
from shared.enums import JobEventType
from sync.protocol import MutationResult, PullResponse


def narrate(replica: Replica) -> None:
    """Print a line after each pulled page and each answered push batch is applied (and durable)."""
    apply_pull, apply_push = replica.apply_pull, replica.apply_push_results

    def pulled(response: PullResponse) -> int:
        applied = apply_pull(response)
        print(f"page applied changes={applied} more={response.has_more}", flush=True)
        return applied

    def pushed(results: list[MutationResult]) -> None:
        apply_push(results)
        print(f"batch acked results={len(results)} pending={replica.pending_count()}", flush=True)

    replica.apply_pull = pulled  # type: ignore[method-assign]
    replica.apply_push_results = pushed  # type: ignore[method-assign]


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--edits", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--edits-per-round", type=int, default=0)
    parser.add_argument("--interval", type=float, default=0.0, help="seconds to wait after each round")
    parser.add_argument("--pull-limit", type=int, default=50)
    parser.add_argument("--push-batch", type=int, default=50)
    args = parser.parse_args()
    session = DeviceSession(
        Path(args.data_dir), runner_options={"pull_limit": args.pull_limit, "push_batch": args.push_batch}
    )
    narrate(session.replica)
    if session.replica.get_meta("token"):  # the test's server restarts on a fresh port
        session.replica.set_meta("server_url", args.server)
    signed = session.restore() or await session.sign_in(args.server, args.user, args.password, "crash test")
    if args.edits and not session.replica.jobs():
        await signed.runner.pull()  # the engineer's jobs come down before the work on them
    for i in range(args.edits):
        jobs = session.replica.jobs()
        if not jobs:
            break
        job = jobs[i % len(jobs)]
        signed.actions.edit(uuid.UUID(job["id"]), notes=f"crash-test note {i}")
        if i % 7 == 0 and job["status"] in ("assigned", "new"):
            signed.actions.tap(uuid.UUID(job["id"]), JobEventType.ACKNOWLEDGED)
    print(f"recorded pending={session.replica.pending_count()}", flush=True)
    made = 0
    for _ in range(args.rounds):
        for _ in range(args.edits_per_round):
            jobs = session.replica.jobs()
            if jobs:
                job = jobs[made % len(jobs)]
                signed.actions.edit(uuid.UUID(job["id"]), notes=f"loop note {made}")
                made += 1
        ok = await signed.runner.sync_once()
        print(
            f"round ok={ok} pending={session.replica.pending_count()} made={made} "
            f"error={signed.runner.status.last_error}",
            flush=True,
        )
        if args.interval:
            await asyncio.sleep(args.interval)
    await signed.runner.aclose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
