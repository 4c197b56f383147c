"""Large imports parse in a worker process: the rows and the errors a user sees are the same as in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afteraction.core.errors import InvalidInput
from afteraction.timeline.importers import ImportOptions
from afteraction.timeline.pipeline import ROW_VALUES, import_batches, sqlite_time

FIXTURES = Path(__file__).parent / "fixtures"


def _rows(path: Path, fmt: str, parallel: bool) -> list[tuple[object, ...]]:
    batches = import_batches(path, fmt, ImportOptions(include_all=True), sqlite=True, parallel=parallel)
    return [tuple(batch[start : start + ROW_VALUES]) for batch in batches for start in range(0, len(batch), ROW_VALUES)]


@pytest.mark.parametrize("fmt", ["slack", "alertmanager"])
def test_worker_rows_equal_in_process_rows(fmt):
    path = next(p for p in sorted((FIXTURES / fmt).iterdir()) if p.is_dir() or p.suffix in (".json", ".jsonl"))
    in_process = _rows(path, fmt, parallel=False)
    assert in_process, "the fixture has events"
    assert _rows(path, fmt, parallel=True) == in_process
    assert all(isinstance(row[0], str) and len(row) == ROW_VALUES for row in in_process)


def test_a_malformed_file_in_the_worker_is_one_line(tmp_path):
    broken = tmp_path / "alerts.json"
    broken.write_text('{"version": "4", "alerts": [')
    with pytest.raises(InvalidInput) as caught:
        _rows(broken, "alertmanager", parallel=True)
    assert "alerts.json" in str(caught.value) and "\n" not in str(caught.value)


@given(st.datetimes(timezones=st.just(UTC)))
def test_sqlite_time_is_isoformat_without_the_offset(moment):
    assert sqlite_time(moment) == moment.isoformat(" ", "microseconds")[:26]


def test_sqlite_time_matches_what_sqlalchemy_stores():
    assert sqlite_time(datetime(2024, 3, 14, 10, 8, 10, tzinfo=UTC)) == "2024-03-14 10:08:10.000000"
    plus_one = timezone(timedelta(hours=1))
    assert sqlite_time(datetime(2024, 3, 14, 11, 8, 10, 100, tzinfo=plus_one)) == "2024-03-14 10:08:10.000100"
