"""``levee pwa build``: the field app as a static, installable, offline web app (issue 14).

The folder holds everything the tablet's browser needs and nothing it would fetch from elsewhere:
Flet's web client (CanvasKit renderer) and the Pyodide runtime from the installed ``flet-web``, the
wheels the device code imports (``wheels.lock``, downloaded from the package index at build time and
hash-checked), the device's own packages (``mobile/`` without the console, ``sync/``, ``shared/``) in
``app.tar.gz``, the CJK font, the web manifest and icons, and a service worker that precaches every
file under the build's version. The version is a digest of every input, so an unchanged checkout
rebuilds nothing (``ensure_built``) and a changed one gets a new service worker.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from shared.lifetime import sigterm_when_parent_ends

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LOCK = HERE / "wheels.lock"
STATIC = HERE / "static"
ICONS = ROOT / "shared" / "assets" / "icons"
BASE = "/app/"  # where `levee serve` mounts the build (same origin as /api)
PLATFORM = "pyemscripten_2026_0_wasm32"  # flet-web 1.0.5's Pyodide: Python 3.14, emscripten ABI 2026_0
PYTHON_VERSION = "3.14"

#: Files of flet-web's ``web/`` the Chromium/CanvasKit client uses (its ``python.js`` and
#: ``python-worker.js`` are replaced by the build's own, in ``static/``). The rest of its 75 MB (the
#: skwasm renderer, main.dart.wasm, debug symbols, Pyodide's command-line runner) stays out.
FLET_WEB_FILES = (
    "flutter.js",
    "flutter_bootstrap.js",
    "main.dart.js",
    "favicon.png",
    "version.json",
    "canvaskit/canvaskit.js",
    "canvaskit/canvaskit.wasm",
    "canvaskit/chromium/canvaskit.js",
    "canvaskit/chromium/canvaskit.wasm",
    "pyodide/pyodide.mjs",
    "pyodide/pyodide.asm.mjs",
    "pyodide/pyodide.asm.wasm",
    "pyodide/python_stdlib.zip",
    "pyodide/pyodide-lock.json",
)
FLET_WEB_DIRS = ("assets", "icons")

#: Hosts named in Flet's client that it never fetches from here: documentation links in messages, and
#: defaults the page's configuration overrides (CanvasKit and the Noto fallback fonts come from the
#: build). A new Flet release naming another host fails the build until someone looks at it.
HARMLESS_HOSTS = frozenset(
    {
        "api.flutter.dev",
        "developer.android.com",
        "developer.mozilla.org",
        "docs.flutter.dev",
        "flet.dev",
        "flutter.dev",
        "github.com",
        "pub.dev",
        "raw.githubusercontent.com",
        "www.w3.org",  # XML namespace names
        "www.gstatic.com",  # CanvasKit default: canvasKitBaseUrl points at the build
        "fonts.gstatic.com",  # Noto fallback default: fontFallbackBaseUrl points at the build
    }
)
#: URLs Flet's client would load at every start though nothing uses them: pointed into the build,
#: where a 404 is harmless.
REPOINT = {"https://cdn.jsdelivr.net/npm/@rive-app/flutter-native-wasm@44.0.0/": BASE + "rive/"}

#: The device's own code: what ``mobile.app`` imports (with the shared presentation in ``ui``), and
#: nothing of the console or the web server.
APP_PACKAGES = (
    "mobile/__init__.py",
    "mobile/app",
    "mobile/services",
    "mobile/replica",
    "ui/__init__.py",
    "ui/components",
    "ui/logic",
    "ui/text.py",
    "ui/web/__init__.py",
    "ui/web/guard.py",
    "ui/web/events.py",
    "mobile/pwa/__init__.py",
    "mobile/pwa/device.py",
    "mobile/pwa/bytecode.py",
    "sync",
    "shared",
)
ENTRY = "from mobile.pwa.device import run\n\nrun()\n"


class BuildError(Exception):
    """The build cannot be made as asked (a missing download, an unexpected URL in Flet's client)."""


@dataclass(frozen=True)
class Built:
    out: Path
    version: str
    files: int
    bytes: int
    rebuilt: bool


def flet_web_dir() -> Path:
    import flet_web

    return Path(flet_web.__file__).resolve().parent / "web"


def default_out() -> Path:
    """The cached build: ``LEVEE_PWA_DIR``, else ``<LEVEE_DATA_DIR or levee-data>/pwa``."""
    if os.environ.get("LEVEE_PWA_DIR"):
        return Path(os.environ["LEVEE_PWA_DIR"])
    return Path(os.environ.get("LEVEE_DATA_DIR", "levee-data")) / "pwa"


def wheel_cache() -> Path:
    """Downloaded wheels, kept between builds (hash-checked on every use)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "levee" / "pwa-wheels"


def _app_sources() -> list[Path]:
    files: list[Path] = []
    for entry in APP_PACKAGES:
        path = ROOT / entry
        if path.is_file():
            files.append(path)
            continue
        for f in sorted(path.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix in {".py", ".json"}:
                files.append(f)
    return files


def _static_sources() -> list[Path]:
    return sorted(p for p in STATIC.rglob("*") if p.is_file())


def input_version() -> str:
    """A digest of everything the build is made of: same inputs, same version, no rebuild."""
    import flet_web

    digest = hashlib.sha256()
    digest.update(f"flet-web {getattr(flet_web, '__version__', '')}\n".encode())
    digest.update((flet_web_dir() / "version.json").read_bytes())
    for path in [Path(__file__), LOCK, *_static_sources(), *_app_sources(), *_font_files(), *_icon_files()]:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _font_files() -> list[Path]:
    fonts = ROOT / "shared" / "assets" / "fonts"
    return [fonts / "NotoSansSC-Levee.otf", fonts / "LeveeFallback.otf", fonts / "OFL.txt"]


def _icon_files() -> list[Path]:
    """Levee's icons (tools/build_icons.py), in place of Flet's: the manifest's, the home screen's, the tab's."""
    return [*sorted(ICONS.glob("*.png")), ICONS.parent / "favicon.png"]


def current_version(out: Path) -> str | None:
    try:
        return str(json.loads((out / "build.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_built(out: Path | None = None, *, log: bool = True) -> Built:
    """Build unless ``out`` already holds the build of these inputs.

    Two processes may ask at once (two ``levee serve`` on one data folder start together): a lock file
    beside ``out`` lets one build while the other waits, then finds the build current and returns."""
    out = (out or default_out()).resolve()
    version = input_version()
    import fcntl  # here: the server's platforms (POSIX); the tablet's packaged app never builds

    out.parent.mkdir(parents=True, exist_ok=True)
    with (out.parent / f".{out.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process ends
        if current_version(out) == version and (out / "sw.js").exists():
            files = [p for p in out.rglob("*") if p.is_file()]
            return Built(out, version, len(files), sum(p.stat().st_size for p in files), rebuilt=False)
        return build(out, version=version, log=log)


# --- the steps ---------------------------------------------------------------------------------------


def download_wheels(cache: Path | None = None) -> list[Path]:
    """The wheels of ``wheels.lock`` for the browser's Python, from the configured package index."""
    cache = cache or wheel_cache()
    cache.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--quiet",
        "--no-deps",
        "--require-hashes",
        "--only-binary=:all:",
        "--platform",
        PLATFORM,
        "--platform",
        "any",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "-d",
        str(cache),
        "-r",
        str(LOCK),
    ]
    done = subprocess.run(command, capture_output=True, text=True, preexec_fn=sigterm_when_parent_ends)
    if done.returncode != 0:
        raise BuildError(f"downloading the browser's wheels failed:\n{done.stderr.strip()[-2000:]}")
    wanted = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            spec = line.split()[0]
            name, version = spec.split("==")
            wanted[_norm(name)] = (version, line.split("sha256:", 1)[1].strip())
    wheels = []
    for name, (version, sha) in sorted(wanted.items()):
        matches = [
            p
            for p in cache.glob("*.whl")
            if _norm(p.name.split("-")[0]) == name
            and p.name.split("-")[1] == version
            and hashlib.sha256(p.read_bytes()).hexdigest() == sha
        ]
        if not matches:
            raise BuildError(f"no wheel of {name}=={version} with the locked hash in {cache}")
        wheels.append(matches[0])
    return wheels


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pypackages(wheels: Iterable[Path]) -> dict[str, bytes]:
    """Wheels unpacked as ``__pypackages__/...`` (no install step in the browser: faster starts)."""
    files: dict[str, bytes] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            for info in z.infolist():
                name = info.filename
                if info.is_dir() or "/tests/" in name or name.endswith((".pyi", "/RECORD")):
                    continue
                files[f"__pypackages__/{name}"] = z.read(info)
    return files


def _archive(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
        for name in sorted(files):
            data = files[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0  # reproducible: same inputs, same bytes
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _check_urls(name: str, text: str) -> None:
    hosts = set(re.findall(r"https?://([A-Za-z0-9.-]+)", text))
    unknown = sorted(h for h in hosts if h not in HARMLESS_HOSTS and h not in {"", "localhost"})
    if unknown:
        raise BuildError(
            f"{name} of this flet-web names hosts it may load from at run time: {', '.join(unknown)}; "
            "the field app must start with no network. Point them into the build (REPOINT in "
            "mobile/pwa/build.py) or, if they are only links, add them to HARMLESS_HOSTS."
        )


def _index_html(version: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <base href="{BASE}">
  <meta charset="UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="description" content="Levee 现场服务 (field app)">
  <meta name="mobile-web-app-capable" content="yes">
  <meta name="apple-mobile-web-app-title" content="Levee 现场">
  <meta name="theme-color" content="#0B4FA3">
  <meta name="levee-build" content="{version}">
  <link rel="apple-touch-icon" href="icons/apple-touch-icon-192.png">
  <link rel="icon" type="image/png" href="favicon.png">
  <link rel="manifest" href="manifest.json">
  <title>Levee 现场服务</title>
  <script src="levee-boot.js"></script>
  <script src="python.js"></script>
</head>
<body>
  <script src="flutter_bootstrap.js" async></script>
</body>
</html>
"""


def _boot_js(version: str) -> str:
    template = (STATIC / "levee-boot.js").read_text(encoding="utf-8")
    return template.replace("__LEVEE_BUILD__", version).replace("__LEVEE_BASE__", BASE)


def _service_worker(version: str, files: list[str]) -> str:
    template = (STATIC / "sw.js").read_text(encoding="utf-8")
    listing = json.dumps(sorted(files), indent=0)
    return template.replace("__LEVEE_BUILD__", version).replace('"__LEVEE_FILES__"', listing)


def _manifest() -> str:
    manifest = json.loads((ROOT / "shared" / "assets" / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(id=BASE, start_url=BASE, scope=BASE)
    return json.dumps(manifest, ensure_ascii=False, indent=1)


def build(out: Path | None = None, *, version: str | None = None, log: bool = True) -> Built:
    """Make the static folder at ``out`` (replaced as a whole once complete)."""
    out = (out or default_out()).resolve()
    version = version or input_version()
    say = print if log else (lambda *_a, **_k: None)
    web = flet_web_dir()
    say(f"levee pwa build {version}: downloading the browser's wheels (wheels.lock) ...", flush=True)
    wheels = download_wheels()
    files: dict[str, bytes] = {}
    for name in FLET_WEB_FILES:
        files[name] = (web / name).read_bytes()
    for folder in FLET_WEB_DIRS:
        for path in sorted((web / folder).rglob("*")):
            if path.is_file():
                files[path.relative_to(web).as_posix()] = path.read_bytes()
    main_js = files["main.dart.js"].decode("utf-8")
    for old, new in REPOINT.items():
        main_js = main_js.replace(old, new)
    for name in ("main.dart.js", "flutter.js"):
        _check_urls(name, main_js if name == "main.dart.js" else files[name].decode("utf-8"))
    files["main.dart.js"] = main_js.encode("utf-8")
    bootstrap = files["flutter_bootstrap.js"].decode("utf-8")
    # Flutter's own service worker unregisters itself and reloads the page, fighting ours: leave it out.
    bootstrap, n = re.subn(r"serviceWorkerSettings:\s*\{[^}]*\},", "", bootstrap)
    if n != 1:
        raise BuildError("flutter_bootstrap.js of this flet-web has no serviceWorkerSettings block to drop")
    files["flutter_bootstrap.js"] = bootstrap.encode("utf-8")
    for path in _static_sources():
        if path.name not in {"sw.js", "levee-boot.js", "rive_native.js"}:
            files[path.relative_to(STATIC).as_posix()] = path.read_bytes()
    # where the repointed Rive loader looks (REPOINT): a script that never finishes loading Rive, as the
    # CDN's would with no network, instead of a request that fails on every start
    files["rive/wasm/rive_native.js"] = (STATIC / "rive_native.js").read_bytes()
    for font in _font_files():
        files[f"fonts/{font.name}"] = font.read_bytes()  # where page.fonts finds it
    for icon in _icon_files():
        files["favicon.png" if icon.name == "favicon.png" else f"icons/{icon.name}"] = icon.read_bytes()
    # Flutter's default text style asks for Roboto, which it would fetch from the fallback-font URL:
    # let it be the bundled CJK face instead (one font for every text, no fetch).
    manifest = json.loads(files["assets/FontManifest.json"])
    manifest.append({"family": "Roboto", "fonts": [{"asset": "../fonts/NotoSansSC-Levee.otf"}]})
    files["assets/FontManifest.json"] = json.dumps(manifest).encode()
    files["index.html"] = _index_html(version).encode("utf-8")
    files["levee-boot.js"] = _boot_js(version).encode("utf-8")
    files["manifest.json"] = _manifest().encode("utf-8")
    app: dict[str, bytes] = {
        "main.py": ENTRY.encode(),
        "build.json": json.dumps({"version": version}).encode(),
    }
    for path in _app_sources():
        app[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    app.update(_pypackages(wheels))
    files["app.tar.gz"] = _archive(app)
    files["build.json"] = json.dumps({"version": version}).encode()
    files["sw.js"] = _service_worker(version, [n for n in files if n != "build.json"]).encode("utf-8")

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    staging.chmod(0o755)
    for name, data in files.items():
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    previous = out.with_name(f".{out.name}-old-{os.getpid()}")
    if out.exists():
        out.rename(previous)
    staging.rename(out)
    shutil.rmtree(previous, ignore_errors=True)
    size = sum(len(d) for d in files.values())
    say(f"levee pwa build {version}: {len(files)} files, {size / 1e6:.1f} MB in {out}", flush=True)
    return Built(out, version, len(files), size, rebuilt=True)
