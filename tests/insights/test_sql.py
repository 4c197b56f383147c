"""The SQL helpers of insights agree with the pure definitions of analysis.insights."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from afteraction.analysis.insights import percentile
from afteraction.insights.sql import sqlite_ranked


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 10, 11, 101])
def test_sqlite_ranked_walks_from_either_end_to_the_percentiles(n):
    rng = random.Random(n)
    values = {"a": [rng.choice([1.0, 2.5, rng.random() * 100]) for _ in range(n)], "b": [7.0] * (n + 1)}
    engine = create_engine("sqlite://")
    with Session(engine) as session:
        session.execute(text("CREATE TABLE t (g TEXT, v REAL)"))
        session.execute(text("CREATE INDEX t_g_v ON t (g, v)"))
        session.execute(
            text("INSERT INTO t VALUES (:g, :v)"), [{"g": g, "v": v} for g, vs in values.items() for v in vs]
        )
        found = sqlite_ranked(session, table="t", value="v", group="g")
        overall = sqlite_ranked(session, table="t", value="v")["all"]
    for g, vs in values.items():
        assert (found[g].n, found[g].median, found[g].p90) == (
            len(vs),
            round(percentile(vs, 0.5) or 0, 2),
            round(percentile(vs, 0.9) or 0, 2),
        )
    everything = [v for vs in values.values() for v in vs]
    assert (overall.median, overall.p90) == (
        round(percentile(everything, 0.5) or 0, 2),
        round(percentile(everything, 0.9) or 0, 2),
    )
