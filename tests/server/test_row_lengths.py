"""Rows written by a Core insert on the sync path (the mutation log, the audit trail) get the same
column-size check as ORM rows get before a flush: a text too long is the client's 400, not a value
PostgreSQL refuses (a 500) and SQLite keeps."""

from __future__ import annotations

import pytest

from server.db.limits import TextTooLong, check_row_lengths
from server.db.models import AuditEntry
from server.db.models import Mutation as MutationRow


def test_a_core_row_with_text_longer_than_its_column_is_refused() -> None:
    check_row_lengths(MutationRow, [{"name": "job.event", "hlc": "0" * 64}])
    with pytest.raises(TextTooLong) as refused:
        check_row_lengths(MutationRow, [{"name": "job.event", "hlc": "0" * 65}])
    assert "hlc" in str(refused.value) and "64" in str(refused.value)
    with pytest.raises(TextTooLong):
        check_row_lengths(AuditEntry, [{"action": "a" * 41}])
