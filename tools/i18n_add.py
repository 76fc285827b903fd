"""Add or change catalogue entries in both languages at once, keeping the files sorted.

    python tools/i18n_add.py entries.json      # {"key": ["中文", "English"], ...}
    python tools/i18n_add.py key 中文 English

Both catalogues are read, changed and written in one step, so several people (or helpers) adding
keys at the same time do not overwrite each other's work the way a long-open editor buffer would.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

I18N = Path(__file__).resolve().parent.parent / "shared" / "i18n"


def add(entries: dict[str, tuple[str, str]]) -> None:
    for index, name in enumerate(("zh_CN.json", "en.json")):
        path = I18N / name
        catalogue = json.loads(path.read_text(encoding="utf-8"))
        catalogue.update({key: texts[index] for key, texts in entries.items()})
        path.write_text(json.dumps(catalogue, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 1:
        add({k: (v[0], v[1]) for k, v in json.loads(Path(args[0]).read_text(encoding="utf-8")).items()})
    elif len(args) == 3:
        add({args[0]: (args[1], args[2])})
    else:
        raise SystemExit(__doc__)
