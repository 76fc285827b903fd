"""Which published cases a tablet holds: the newest ``MAX_CASES_PER_MODEL`` of each of its models, asked of
the database in one statement (a window over the models), checked against the rule written out in Python,
on SQLite and PostgreSQL, with ties in publication time and models in Chinese."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

import server.knowledge.scope as scope
from server.db.models import KnowledgeCase
from shared.knowledge import CaseStatus
from tests.support import World

MODELS = ["QSZ-1500 潜水泵", "GF-50 柴油发电机组", "ZDJ-1200 自动装袋机", "150N 自动充气式救生衣"]


async def test_newest_published_cases_of_each_model_in_one_statement(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scope, "MAX_CASES_PER_MODEL", 3)
    rng = random.Random(15)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    cases = []
    for n in range(40):
        published = rng.random() < 0.7
        cases.append(
            KnowledgeCase(
                id=uuid.uuid4(),
                number=f"KB-T{n:04d}",
                status=CaseStatus.PUBLISHED.value if published else CaseStatus.DRAFT.value,
                model=rng.choice(MODELS[:3]),  # the fourth model has no case at all
                # a few share a publication time: the id breaks the tie, newest (largest) first
                published_at=start + timedelta(hours=rng.randrange(8)) if published else None,
            )
        )
    async with world.app.state.sessionmaker() as session:
        session.add_all(cases)
        await session.commit()

    def expected(models: list[str]) -> list[uuid.UUID]:
        out: list[uuid.UUID] = []
        for model in sorted(set(models)):
            mine = [c for c in cases if c.model == model and c.status == CaseStatus.PUBLISHED.value]
            mine.sort(key=lambda c: (c.published_at, c.id), reverse=True)
            out.extend(c.id for c in mine[:3])
        return out

    async with world.app.state.sessionmaker() as session:
        for models in (MODELS, MODELS[:1], [MODELS[3]], [], [MODELS[2], MODELS[0], MODELS[2]]):
            got = await scope.published_case_ids(session, models)
            assert got == expected(models), models
    assert len(expected(MODELS)) == 9  # every model with a case has more than three published
