"""``python -m mobile.console``: the back-office console in the browser (what ``levee console`` starts)."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="levee console", description="Levee back-office console (web)")
    parser.add_argument("--server", default=os.environ.get("LEVEE_CONSOLE_SERVER", "http://127.0.0.1:8000"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8560)
    parser.add_argument(
        "--tz", default=os.environ.get("LEVEE_CONSOLE_TZ", "Asia/Shanghai"), help="office time zone"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("FLET_FORCE_WEB_SERVER", "1")  # never try to open a desktop window
    from mobile.console.main import run

    run(server=args.server, port=args.port, host=args.host, tz=args.tz)
    return 0


if __name__ == "__main__":
    sys.exit(main())
