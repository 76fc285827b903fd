"""Build the field app's bundled Chinese font: Noto Sans CJK SC, subset to what Levee shows.

Flutter draws boxes for Chinese unless the app ships a CJK font, and it takes face 0 of a ``.ttc``,
which in Debian's Noto CJK collection is the Japanese face. This script takes the Simplified Chinese
face out of the collection and keeps GB2312 plus every character of the UI catalogues and the demo
data (rarer place-name characters), so the file stays small enough for a web app and a tablet build.

Rebuild (a build-time step; fontTools is not a runtime dependency):

    apt-get install -y fonts-noto-cjk
    .venv/bin/pip install fonttools
    .venv/bin/python tools/build_font.py

Writes ``shared/assets/fonts/NotoSansSC-Levee.otf`` and copies the licence to ``OFL.txt`` beside it,
and ``LeveeFallback.otf``: the same face with no characters (only its missing-glyph box), which the
web app's service worker answers for the Noto fallback fonts Flutter asks for (docs/pwa.md, "Fonts").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
OUT_DIR = ROOT / "shared" / "assets" / "fonts"
OUT = OUT_DIR / "NotoSansSC-Levee.otf"
EMPTY = OUT_DIR / "LeveeFallback.otf"
TEXT_SOURCES = [
    ROOT / "shared" / "i18n" / "zh_CN.json",
    ROOT / "shared" / "i18n" / "en.json",
    *sorted((ROOT / "server" / "seed").glob("*.py")),
]
SC_FAMILY = "Noto Sans CJK SC"


def gb2312_chars() -> set[str]:
    """Every character of GB2312 (levels 1 and 2 hanzi plus its symbols)."""
    chars: set[str] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def wanted_chars() -> set[str]:
    chars = gb2312_chars()
    chars.update(chr(c) for c in range(0x20, 0x7F))  # ASCII
    chars.update(chr(c) for c in range(0xA0, 0x180))  # Latin-1 and Latin Extended-A
    chars.update(chr(c) for c in range(0x2000, 0x2070))  # general punctuation
    chars.update(chr(c) for c in range(0x2100, 0x2200))  # letterlike symbols (Ω, ℃, №)
    chars.update(chr(c) for c in range(0x2190, 0x2200))  # arrows
    chars.update(chr(c) for c in range(0x2460, 0x2500))  # enclosed numbers
    chars.update(chr(c) for c in range(0x3000, 0x3040))  # CJK punctuation
    chars.update(chr(c) for c in range(0xFF00, 0xFFF0))  # full-width forms
    # every Chinese character, not only GB2312's: a customer's or a place's name typed by the office
    # may hold a rare one, and offline Flutter cannot fetch its fallback fonts (they would be boxes)
    chars.update(chr(c) for c in range(0x3400, 0x4DC0))  # CJK Unified Ideographs Extension A
    chars.update(chr(c) for c in range(0x4E00, 0xA000))  # CJK Unified Ideographs
    chars.update(chr(c) for c in range(0xF900, 0xFB00))  # CJK Compatibility Ideographs
    chars.update(chr(c) for c in range(0x2E80, 0x2FE0))  # CJK and Kangxi radicals
    chars.update(chr(c) for c in range(0x3100, 0x3130))  # Bopomofo (注音)
    chars.update(chr(c) for c in range(0x3200, 0x3400))  # enclosed CJK, CJK compatibility (㎡, ㈱)
    chars.update(chr(c) for c in range(0xFE30, 0xFE50))  # CJK compatibility forms
    chars.update("−")  # the minus sign of a reading
    chars.update("ΩμΔ±×÷°✓✔✗→←↑↓·…")
    for path in TEXT_SOURCES:
        if path.exists():
            chars.update(path.read_text(encoding="utf-8"))
    return {c for c in chars if c.isprintable() or c == " "}


def sc_face(source: Path) -> object:
    """The Simplified Chinese face of the collection (not face 0, which is Japanese)."""
    collection = TTCollection(str(source))
    for font in collection.fonts:
        if font["name"].getDebugName(1) == SC_FAMILY:
            return font
    raise SystemExit(f"no '{SC_FAMILY}' face in {source}")


def licence_text(copyright_line: str) -> str:
    """The SIL Open Font License text as Debian ships it in the package's copyright file."""
    text = COPYRIGHT.read_text(encoding="utf-8")
    start = text.index("License: SIL-1.1\n ---")
    end = text.find("\nLicense:", start + 10)
    lines = text[start : end if end > 0 else None].splitlines()[1:]
    body = "\n".join("" if line.strip() == "." else line[1:] for line in lines)
    header = (
        "Noto Sans CJK SC, subset for Levee (GB2312 plus the characters of Levee's catalogues and demo\n"
        "data) by tools/build_font.py from Debian's fonts-noto-cjk package.\n"
        f"{copyright_line}\n\n"
    )
    return header + body.strip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not args.source.exists():
        print(f"{args.source} is missing: apt-get install -y fonts-noto-cjk", file=sys.stderr)
        return 1
    empty = sc_face(args.source)
    nothing = subset.Subsetter(subset.Options(notdef_outline=True, name_IDs=["*"]))
    nothing.populate(text="")
    nothing.subset(empty)
    empty.save(str(args.out.parent / EMPTY.name))  # type: ignore[attr-defined]
    font = sc_face(args.source)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(wanted_chars())))
    subsetter.subset(font)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(args.out))  # type: ignore[attr-defined]
    copyright_line = font["name"].getDebugName(0) or ""  # type: ignore[index]
    (args.out.parent / "OFL.txt").write_text(licence_text(copyright_line), encoding="utf-8")
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1e6:.2f} MB)")
    # all of Unicode's common Chinese characters (CJK Unified Ideographs and Extension A) are ~11 MB
    return 0 if size < 12_000_000 else 2


if __name__ == "__main__":
    sys.exit(main())
