"""``python -m mobile.app``: the field app in the browser (what ``levee app`` starts)."""

from __future__ import annotations

import os
import sys

from ui.web.cli import web_app_parser


def main(argv: list[str] | None = None) -> int:
    parser = web_app_parser(
        prog="levee app",
        description="Levee field app (web mode, offline first)",
        env="APP",
        port=8550,
        data_dir="levee-data/app",
        origin_help="another origin whose pages may open the app (the app's own always may)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("FLET_FORCE_WEB_SERVER", "1")  # never try to open a desktop window
    from mobile.app.main import run

    run(
        server=args.server,
        port=args.port,
        host=args.host,
        data_dir=args.data_dir,
        tz=args.tz,
        allowed_origins=args.allow_origin,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
