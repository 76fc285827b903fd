"""``levee pwa build`` and ``/app/`` (issue 14): a static folder that holds everything the field app
needs offline, served from the API's origin under a strict Content-Security-Policy."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from mobile.pwa import build as pwa
from tests.support import World

ROOT = Path(__file__).resolve().parents[2]


def _precached(out: Path) -> list[str]:
    sw = (out / "sw.js").read_text()
    found = re.search(r"const FILES = (\[.*?\]);", sw, re.S)
    assert found, "sw.js lists no files"
    return list(json.loads(found.group(1)))


def test_service_worker_precaches_every_file_of_the_build(pwa_build: Path) -> None:
    files = sorted(p.relative_to(pwa_build).as_posix() for p in pwa_build.rglob("*") if p.is_file())
    listed = _precached(pwa_build)
    assert sorted(listed) == [f for f in files if f not in {"build.json", "sw.js"}]
    version = json.loads((pwa_build / "build.json").read_text())["version"]
    assert f'const VERSION = "{version}"' in (pwa_build / "sw.js").read_text()
    assert f'content="{version}"' in (pwa_build / "index.html").read_text()


def test_build_fetches_nothing_from_elsewhere(pwa_build: Path) -> None:
    """No CDN in the client, no inline script (the CSP allows none), Flutter's own worker left out."""
    index = (pwa_build / "index.html").read_text()
    assert "<script>" not in index and "http" not in index
    boot = (pwa_build / "levee-boot.js").read_text()
    assert "http" not in boot and '"/app/canvaskit/"' in boot and '"/app/pyodide/pyodide.mjs"' in boot
    main_js = (pwa_build / "main.dart.js").read_text()
    assert "cdn.jsdelivr.net" not in main_js
    hosts = set(re.findall(r"https?://([A-Za-z0-9.-]+)", main_js))
    assert hosts <= pwa.HARMLESS_HOSTS
    load = (pwa_build / "flutter_bootstrap.js").read_text().split("_flutter.loader.load(")[-1]
    assert "serviceWorkerSettings" not in load  # Flutter's own worker would fight ours
    for name in (
        "canvaskit/chromium/canvaskit.wasm",
        "pyodide/pyodide.asm.wasm",
        "fonts/NotoSansSC-Levee.otf",
    ):
        assert (pwa_build / name).stat().st_size > 1_000_000, name
    # every Chinese character offline, not only GB2312's (a rare one in a name was a box)
    from fontTools.ttLib import TTFont

    cmap = TTFont(pwa_build / "fonts" / "NotoSansSC-Levee.otf").getBestCmap()
    missing = [chr(c) for c in [*range(0x4E00, 0x9FA6), *range(0x3400, 0x4DB6)] if c not in cmap]
    assert not missing, "".join(missing[:50])
    assert not TTFont(pwa_build / "fonts" / "LeveeFallback.otf").getBestCmap()
    sw = (pwa_build / "sw.js").read_text()
    assert '"fallback-fonts/"' in sw and "fonts/LeveeFallback.otf" in sw
    manifest = json.loads((pwa_build / "manifest.json").read_text())
    assert manifest["start_url"] == manifest["scope"] == "/app/"


def test_app_archive_holds_the_device_code_and_locked_wheels(pwa_build: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO((pwa_build / "app.tar.gz").read_bytes())) as tar:
        names = set(tar.getnames())
    assert {"main.py", "build.json", "mobile/app/main.py", "mobile/pwa/device.py", "sync/client.py"} <= names
    assert "shared/i18n/zh_CN.json" in names
    assert not any(n.startswith(("console/", "server/", "tests/")) for n in names)
    assert "ui/web/serving.py" not in names  # the web server of `levee app` stays out
    wasm = [n for n in names if n.startswith("__pypackages__/pydantic_core/") and n.endswith(".so")]
    assert wasm and "emscripten" in wasm[0], wasm  # the WebAssembly build of pydantic-core
    locked = {line.split("==")[0] for line in pwa.LOCK.read_text().splitlines() if "==" in line}
    assert {"pydantic-core", "msgpack", "sqlalchemy", "flet", "httpx", "tzdata"} <= locked


def test_unchanged_inputs_are_not_built_again(pwa_build: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "pwa", "build", "--out", str(pwa_build)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout


def test_a_wheel_that_does_not_match_its_locked_hash_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = tmp_path / "wheels.lock"
    lock.write_text("six==1.17.0 --hash=sha256:" + "0" * 64 + "\n")
    monkeypatch.setattr(pwa, "LOCK", lock)
    with pytest.raises(pwa.BuildError, match="downloading the browser's wheels failed"):
        pwa.download_wheels(tmp_path / "cache")


def test_a_new_cdn_url_in_fleets_client_fails_the_build() -> None:
    with pytest.raises(pwa.BuildError, match=r"cdn\.example\.com"):
        pwa._check_urls("main.dart.js", 'x="https://cdn.example.com/lib.js";y="https://flet.dev/docs"')
    pwa._check_urls("main.dart.js", 'y="https://flet.dev/docs"')


async def test_app_is_served_at_slash_app_with_a_strict_policy(served_pwa: Path, world: World) -> None:
    client = world.client
    for path in ("/app/", "/app"):
        r = await client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "levee-boot.js" in r.text
    r = await client.get("/app/sw.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    r = await client.get("/app/pyodide/pyodide.asm.wasm")
    assert r.status_code == 200 and r.headers["content-type"] == "application/wasm"
    csp = dict(
        part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";") if part.strip()
    )
    assert csp["script-src"] == "'self' 'wasm-unsafe-eval'"  # no inline script, no eval
    assert csp["connect-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert r.headers["cache-control"] == "no-cache"
    r = await client.get("/app/nothing-here.js")
    assert r.status_code == 404
    # Flutter's Noto fallback pieces: the font with no characters (the bundled face draws them all)
    r = await client.get("/app/fallback-fonts/notosanssc/v37/k3kCo84MPvpLmixcA63oeAL7.117.woff2")
    assert r.status_code == 200 and r.content == (served_pwa / "fonts" / "LeveeFallback.otf").read_bytes()
    r = await client.get("/app/rive/wasm/rive_native.js")  # where Flet's client looks for Rive
    assert r.status_code == 200 and "RiveNative" in r.text
    r = await client.get("/app/%2e%2e/%2e%2e/etc/passwd")
    assert r.status_code == 404
    r = await client.get("/app/index.html", headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 200  # the app itself is public; its data is not


async def test_without_a_build_slash_app_says_how_to_make_one(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.app.state.settings.pwa_dir = tmp_path / "no-build-here"
    r = await world.client.get("/app/")
    assert r.status_code == 404
    assert "levee pwa build --out" in r.text and "no-build-here" in r.text


def test_the_installed_app_wears_levees_icons_not_flets(pwa_build: Path) -> None:
    """Every icon the manifest names, the home-screen icon and the tab's are Levee's own drawings
    (shared/assets/icons and favicon.png, made by tools/build_icons.py;
    Flet's web server finds the same files in shared/assets for `levee app` and the console), at the sizes the manifest says."""
    from PIL import Image

    icons = ROOT / "shared" / "assets" / "icons"
    manifest = json.loads((pwa_build / "manifest.json").read_text(encoding="utf-8"))
    named = [entry["src"] for entry in manifest["icons"]] + ["icons/apple-touch-icon-192.png", "favicon.png"]
    for src in named:
        built = pwa_build / src
        ours = icons.parent / src if src == "favicon.png" else icons / Path(src).name
        assert built.read_bytes() == ours.read_bytes(), src
    for entry in manifest["icons"]:
        width, height = map(int, entry["sizes"].split("x"))
        with Image.open(pwa_build / entry["src"]) as image:
            assert image.size == (width, height), entry
    flet_icon = (pwa.flet_web_dir() / "icons" / "icon-192.png").read_bytes()
    assert (pwa_build / "icons" / "icon-192.png").read_bytes() != flet_icon
