"""``python -m mobile.pwa build [--out DIR] [--force]``: what ``levee pwa build`` runs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="levee pwa", description="the field app as an offline web app")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build the static folder `levee serve` serves at /app/")
    build.add_argument("--out", help="folder to write (default: $LEVEE_PWA_DIR or <data dir>/pwa)")
    build.add_argument("--force", action="store_true", help="build even when the folder is current")
    build.add_argument(
        "--background",
        action="store_true",
        help="at the lowest CPU priority (how `levee serve` builds at start-up, beside its requests)",
    )
    args = parser.parse_args(argv)
    from shared.lifetime import die_with_parent

    die_with_parent()  # started by `levee serve` (LEVEE_PARENT_PID): end with it
    if args.background:
        # a server starting while every tablet syncs (a restart in a flood) keeps its CPU for the
        # requests: the build takes what they leave (it was a minute of CPU beside them)
        os.nice(19)
    from mobile.pwa.build import BuildError, default_out, ensure_built
    from mobile.pwa.build import build as make

    out = Path(args.out) if args.out else default_out()
    try:
        done = make(out) if args.force else ensure_built(out)
    except BuildError as exc:
        print(f"levee pwa build: {exc}", file=sys.stderr)
        return 1
    if not done.rebuilt:
        print(f"levee pwa build {done.version}: up to date in {done.out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
