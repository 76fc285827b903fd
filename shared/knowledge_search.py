"""Finding a case of the knowledge library by its words: the same rules on the tablet (its replica's FTS5
index) and on the server (``shared.knowledge`` re-exports them beside the API's schemas). A module of its
own, without pydantic models, so the field app imports it without building the API's schemas
(docs/performance.md, Round 4).
"""

from __future__ import annotations

#: FTS5's trigram tokenizer matches three characters or more; shorter words are an instr() scan
MIN_TRIGRAM = 3


def case_search_text(doc: dict[str, object]) -> str:
    """What a case is found by: title, model, symptom, cause, fix and parts, lower-cased."""
    parts = doc.get("parts") or []
    words = [str(doc.get(k) or "") for k in ("title", "model", "symptom", "cause", "fix")]
    if isinstance(parts, list):
        words.extend(str(p) for p in parts if p)
    return " ".join(w for w in words if w).lower()


def split_query(query: str) -> list[str]:
    """The words of a search (split on spaces), each kept once, at most 8 of them, 50 characters each."""
    words = [w[:50] for w in query.split() if w]
    return list(dict.fromkeys(words))[:8]


def fts_phrase(word: str) -> str:
    """A word as an FTS5 phrase: quoted, its quotes doubled, so no word is read as query syntax."""
    return '"' + word.replace('"', '""') + '"'


def grams(value: str, n: int = 2) -> set[str]:
    """The runs of ``n`` characters of each word of ``value`` (a shorter word is its own run)."""
    out: set[str] = set()
    for word in value.lower().split():
        out.update({word} if len(word) <= n else {word[i : i + n] for i in range(len(word) - n + 1)})
    return out


def rank_by_overlap(query: str, items: list[tuple[str, str]]) -> list[str]:
    """The payloads of ``(text, payload)`` items sharing any two-character run with ``query``, most shared
    first (ties keep their order)."""
    wanted = grams(query)
    if not wanted:
        return []
    scored = [(len(wanted & grams(body)), i, payload) for i, (body, payload) in enumerate(items)]
    return [payload for score, _, payload in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]
