"""Sign-in throttling: the arithmetic of the waits, and the counts kept in the database (on both databases, by many
threads at once)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from afteraction.accounts import throttle
from afteraction.accounts.models import SignInFailure
from afteraction.accounts.throttle import Limits, account_key, address_key, remaining_wait, wait_after
from afteraction.core.config import Settings
from afteraction.core.db import Database
from afteraction.core.errors import TooManyRequests

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
LIMITS = Limits(free=5, address_free=20, backoff=2.0, max_backoff=900.0, window=900.0)


def test_the_first_free_failures_cost_nothing_then_the_wait_doubles_up_to_its_cap():
    assert [wait_after(n, 5, LIMITS) for n in range(5)] == [0.0] * 5
    assert [wait_after(n, 5, LIMITS) for n in range(5, 10)] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert wait_after(13, 5, LIMITS) == 512.0
    assert wait_after(14, 5, LIMITS) == 900.0  # 1024 capped
    assert wait_after(10_000_000, 5, LIMITS) == 900.0  # no overflow however many
    assert wait_after(20, 20, LIMITS) == 2.0  # an address has its own free failures


def test_the_wait_left_counts_from_the_last_failure_and_a_quiet_window_forgets_the_count():
    assert remaining_wait(5, T0, 5, LIMITS, T0) == 2.0
    assert remaining_wait(5, T0, 5, LIMITS, T0 + timedelta(seconds=0.5)) == 1.5
    assert remaining_wait(5, T0, 5, LIMITS, T0 + timedelta(seconds=3)) == 0.0
    assert remaining_wait(4, T0, 5, LIMITS, T0) == 0.0
    assert remaining_wait(14, T0, 5, LIMITS, T0 + timedelta(seconds=899)) == 1.0
    assert remaining_wait(14, T0, 5, LIMITS, T0 + timedelta(seconds=901)) == 0.0  # forgotten


def test_the_keys_are_the_name_as_typed_in_lower_case_and_the_address():
    assert account_key("  Editor2 ") == account_key("editor2") == "user:editor2"
    assert address_key("203.0.113.9") == "addr:203.0.113.9"
    assert len(account_key("x" * 500)) < 200


def test_the_limits_are_the_sign_in_settings():
    settings = Settings(
        database_url="sqlite://",
        signin_free_failures=3,
        signin_address_free_failures=7,
        signin_backoff_seconds=1.5,
        signin_max_backoff_seconds=60,
        signin_window_seconds=120,
    )
    assert Limits.of(settings) == Limits(free=3, address_free=7, backoff=1.5, max_backoff=60, window=120)


def _fail(db: Database, times: int, *, name: str = "ana", address: str = "192.0.2.1", at: datetime = T0) -> float:
    wait = 0.0
    for _ in range(times):
        wait = throttle.record_failure(db, LIMITS, name=name, address=address, reason="wrong password", now=at)
    return wait


def test_an_account_waits_after_its_free_failures_and_a_try_meanwhile_is_refused_with_the_seconds_left(db):
    assert _fail(db, 4) == 0.0
    throttle.check(db, LIMITS, name="ana", address="192.0.2.1", now=T0)  # four failures: no wait yet
    assert _fail(db, 1) == 2.0
    with pytest.raises(TooManyRequests) as refused:
        throttle.check(db, LIMITS, name="ANA", address="198.51.100.7", now=T0 + timedelta(seconds=0.5))
    assert refused.value.message == "Too many failed sign-ins for this account: try again in 2 seconds."
    assert refused.value.retry_after == 1.5
    throttle.check(db, LIMITS, name="ana", address="192.0.2.1", now=T0 + timedelta(seconds=2.5))  # the wait is over
    assert _fail(db, 1, at=T0 + timedelta(seconds=3)) == 4.0  # the next failure doubles it
    with pytest.raises(TooManyRequests, match="try again in 4 seconds"):
        throttle.check(db, LIMITS, name="ana", address="192.0.2.1", now=T0 + timedelta(seconds=3))
    throttle.check(db, LIMITS, name="bo", address="198.51.100.7", now=T0 + timedelta(seconds=3))  # others are free


def test_an_address_waits_after_its_own_free_failures_whatever_names_it_tries(db):
    for index in range(20):
        _fail(db, 1, name=f"guess{index}", address="203.0.113.9")
    with pytest.raises(TooManyRequests) as refused:
        throttle.check(db, LIMITS, name="someone-else", address="203.0.113.9", now=T0 + timedelta(seconds=1))
    assert refused.value.message == "Too many failed sign-ins from this address: try again in 1 second."
    throttle.check(db, LIMITS, name="someone-else", address="203.0.113.10", now=T0 + timedelta(seconds=1))


def test_a_success_clears_the_accounts_failures_but_not_the_addresses(db):
    _fail(db, 5, address="203.0.113.9")
    throttle.record_success(db, name="Ana")
    throttle.check(db, LIMITS, name="ana", address="192.0.2.99", now=T0)
    with db.transaction() as session:
        keys = dict(session.execute(select(SignInFailure.key, SignInFailure.failures)).all())
    assert keys == {"addr:203.0.113.9": 5}


def test_failures_older_than_the_window_are_forgotten_and_their_rows_removed(db):
    _fail(db, 9, name="ana", address="192.0.2.1")
    later = T0 + timedelta(seconds=LIMITS.window + 1)
    throttle.check(db, LIMITS, name="ana", address="192.0.2.1", now=later)
    assert _fail(db, 1, name="bo", address="192.0.2.2", at=later) == 0.0
    with db.transaction() as session:
        assert set(session.scalars(select(SignInFailure.key))) == {"user:bo", "addr:192.0.2.2"}
    assert _fail(db, 1, name="ana", address="192.0.2.1", at=later) == 0.0  # the count starts again at 1


def test_failures_from_many_threads_at_once_are_all_counted(db):
    threads = [threading.Thread(target=_fail, args=(db, 5)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.transaction() as session:
        counts = dict(session.execute(select(SignInFailure.key, SignInFailure.failures)).all())
    assert counts == {"user:ana": 30, "addr:192.0.2.1": 30}


def test_each_failure_and_each_refusal_is_logged_with_name_address_and_reason_never_the_password(db, caplog):
    caplog.set_level(logging.WARNING, logger="afteraction.accounts")
    for _ in range(5):
        throttle.record_failure(db, LIMITS, name="ana\nforged line", address="192.0.2.1", reason="wrong password")
    with pytest.raises(TooManyRequests):
        throttle.check(db, LIMITS, name="ana\nforged line", address="192.0.2.1")
    lines = [record.getMessage() for record in caplog.records if record.name == "afteraction.accounts"]
    assert lines[0] == "failed sign-in for 'ana\\nforged line' from 192.0.2.1: wrong password"
    assert lines[-1] == "failed sign-in for 'ana\\nforged line' from 192.0.2.1: throttled"
    assert len(lines) == 6 and all(record.levelno == logging.WARNING for record in caplog.records)
