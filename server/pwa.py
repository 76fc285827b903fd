"""The field app's installable web build, served at ``/app/`` from the API's own origin (issue 14).

``levee pwa build`` (``python -m mobile.pwa build``; server/ never imports mobile/) writes a static
folder; this module serves it with a strict Content-Security-Policy, and ``levee serve`` makes the
build on its first start when it is missing or stale (in the background: the API answers at once,
``/app/`` says it is being built until it is there). See docs/pwa.md.
"""

from __future__ import annotations

import mimetypes
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from litestar import Request, Response, get

from server.settings import Settings
from shared.lifetime import PARENT_ENV

ROOT = Path(__file__).resolve().parents[1]

#: Everything from the app's own origin; WebAssembly may be compiled (Pyodide, CanvasKit), nothing
#: may be evaluated from strings, no inline script, no frame, no other host for anything. Styles
#: are the one loosening: Flutter's engine writes inline styles into the page.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # The service worker holds the versioned copy; the browser's HTTP cache must not serve a stale
    # sw.js or index.html over a new build.
    "Cache-Control": "no-cache",
}
TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".gz": "application/gzip",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".zip": "application/zip",
    ".png": "image/png",
    ".html": "text/html",
}


def pwa_dir(settings: Settings) -> Path:
    return (settings.pwa_dir or settings.data_dir / "pwa").resolve()


def build_command(out: Path) -> list[str]:
    return [sys.executable, "-m", "mobile.pwa", "build", "--background", "--out", str(out)]


class Builder:
    """Runs ``levee pwa build`` once in the background (it returns at once when the build is current)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.error = ""
        self.done = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="levee-pwa-build", daemon=True).start()

    def _run(self) -> None:
        try:
            # The build ends with this server (it reads PARENT_ENV and asks Linux for SIGTERM when its
            # parent goes), so a stopped or killed `levee serve` leaves no build downloading behind it.
            env = {**os.environ, PARENT_ENV: str(os.getpid())}
            result = subprocess.run(
                build_command(self.out), cwd=ROOT, capture_output=True, text=True, env=env
            )
            if result.returncode != 0:
                self.error = (result.stderr or result.stdout).strip()[-1500:]
                print(f"levee: building the field app for /app/ failed:\n{self.error}", file=sys.stderr)
            else:
                print(result.stdout.strip(), flush=True)
        finally:
            self.done.set()


def _not_there(settings: Settings, builder: Builder | None) -> Response[Any]:
    command = "levee pwa build --out " + str(pwa_dir(settings))
    if builder is not None and not builder.done.is_set():
        why = "the field app is being built (a minute on the first start); reload in a moment"
        return Response(why, status_code=503, headers={"Retry-After": "10"}, media_type="text/plain")
    detail = f"the field app is not built here: run `{command}`"
    if builder is not None and builder.error:
        detail += f" (the build at start-up failed: {builder.error.splitlines()[-1]})"
    return Response(detail, status_code=404, media_type="text/plain")


@get(["/app", "/app/{path:path}"], include_in_schema=False)
async def app_file(request: Request[Any, Any, Any]) -> Response[Any]:
    """One file of the build (index.html for ``/app/`` and ``/app``), with the policy headers."""
    settings: Settings = request.app.state.settings
    builder: Builder | None = getattr(request.app.state, "pwa_builder", None)
    base = pwa_dir(settings)
    name = str(request.path_params.get("path", "")).lstrip("/") or "index.html"
    if name.startswith("fallback-fonts/"):  # as the service worker answers them (static/sw.js)
        name = "fonts/LeveeFallback.otf"
    target = (base / name).resolve()
    if not (base / "sw.js").exists():
        return _not_there(settings, builder)
    if base not in target.parents or not target.is_file():
        return Response(f"not found: /app/{name}", status_code=404, media_type="text/plain")
    media = TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return Response(target.read_bytes(), media_type=media, headers=HEADERS)


def start_build_if_needed(app: Any, settings: Settings) -> Builder | None:
    """``levee serve``: bring the build at :func:`pwa_dir` up to date in the background, unless
    ``LEVEE_PWA_BUILD=off`` (then ``/app/`` serves what is there, or says how to build it)."""
    if settings.pwa_build != "auto":
        return None
    builder = Builder(pwa_dir(settings))
    app.state.pwa_builder = builder
    builder.start()
    return builder


ROUTES = [app_file]
