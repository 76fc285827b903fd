"""The tablet's case search in Chinese, on the replica alone: words of three characters or more through
the FTS5 trigram index, two-character words and single characters by instr(); every word must be in the
case; a case pulled again is found by its new text only, a removed one not at all; without FTS5 (an
SQLite built without it) the same searches answer the same; quotes and wildcards are only characters."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic_core import to_json
from sqlalchemy import text

import mobile.replica.schema as schema
from mobile.replica.store import Replica

PUMP, GENSET = "QSZ-1500 潜水排涝泵", "GF-50 柴油发电机组"


def _put(replica: Replica, **doc: Any) -> str:
    case_id = doc.setdefault("id", str(uuid.uuid4()))
    with replica.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reference (entity, id, data) VALUES ('case', :id, :d) "
                "ON CONFLICT (entity, id) DO UPDATE SET data = excluded.data"
            ),
            {"id": case_id, "d": to_json(doc).decode()},
        )
    return str(case_id)


def _library(replica: Replica) -> dict[str, str]:
    return {
        "leak": _put(
            replica,
            model=PUMP,
            title="机械密封漏油",
            symptom="水泵运行时机械密封处漏油",
            cause="油室进水",
            fix="更换机械密封",
            parts=["P-0001 Mechanical seal ×1"],
        ),
        "flow": _put(
            replica, model=PUMP, symptom="启动后出水量不足", cause="叶轮磨损", fix="更换叶轮", parts=[]
        ),
        "hot": _put(
            replica, model=GENSET, symptom="发电机组水温过高报警", cause="散热器堵塞", fix="清洗散热器"
        ),
    }


def _ids(found: list[dict[str, Any]]) -> set[str]:
    return {str(c["id"]) for c in found}


@pytest.mark.parametrize("fts5", [True, False], ids=["fts5-trigram", "without-fts5"])
def test_chinese_search_with_short_and_long_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fts5: bool
) -> None:
    if not fts5:
        monkeypatch.setattr(schema, "fts5_trigram_available", lambda _conn: False)
    replica = Replica(tmp_path / "r.db")
    try:
        assert replica.has_case_index() is fts5
        c = _library(replica)
        assert _ids(replica.search_cases("漏油")) == {c["leak"]}  # two characters
        assert _ids(replica.search_cases("机械密封")) == {c["leak"]}  # four
        assert _ids(replica.search_cases("出水量")) == {c["flow"]}  # three
        assert _ids(replica.search_cases("更换")) == {c["leak"], c["flow"]}
        assert _ids(replica.search_cases("更换 叶轮")) == {c["flow"]}  # every word must be there
        assert _ids(replica.search_cases("叶轮 漏油")) == set()
        assert _ids(replica.search_cases("水")) == {c["leak"], c["flow"], c["hot"]}  # one character
        assert _ids(replica.search_cases("更换", model=GENSET)) == set()
        assert _ids(replica.search_cases("MECHANICAL seal")) == {c["leak"]}  # parts, any case
        assert replica.search_cases("   ") == []
        for hostile in ('"', '机械" OR "水', "%", "_", "NEAR(", "*"):
            assert replica.search_cases(hostile) == []  # characters, never query syntax
        assert [x["id"] for x in replica.cases_like(PUMP, "水泵漏油")][:1] == [c["leak"]]
        assert replica.cases_like(GENSET, "水泵漏油") == []

        _put(replica, id=c["leak"], model=PUMP, symptom="电缆破损", cause="", fix="重新接线", parts=[])
        assert replica.search_cases("漏油") == [] and replica.search_cases("机械密封") == []
        assert _ids(replica.search_cases("电缆破损")) == {c["leak"]}
        with replica.engine.begin() as conn:
            conn.execute(text("DELETE FROM reference WHERE entity = 'case' AND id = :id"), {"id": c["flow"]})
        assert replica.search_cases("出水量") == [] and replica.search_cases("叶轮") == []
        if fts5:
            with replica.engine.begin() as conn:  # the external-content index matches its table
                conn.execute(text("INSERT INTO case_fts (case_fts, rank) VALUES ('integrity-check', 1)"))
    finally:
        replica.close()
