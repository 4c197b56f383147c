"""Timestamps from every source land on the exact UTC instant they name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afteraction.timeline.timeparse import (
    EPOCH,
    TimestampError,
    format_utc,
    from_epoch_auto,
    from_epoch_ms,
    from_epoch_ns,
    from_epoch_seconds,
    from_epoch_us,
    parse_git_date,
    parse_rfc3339,
    parse_slack_ts,
    read_datetime,
    zone,
)

AT = datetime(2024, 3, 14, 10, 10, 10, 100, tzinfo=UTC)


def test_slack_ts_keeps_every_microsecond() -> None:
    assert parse_slack_ts("1710411010.000100") == AT


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("1710411010", datetime(2024, 3, 14, 10, 10, 10, tzinfo=UTC)),
        ("1710411010.1", datetime(2024, 3, 14, 10, 10, 10, 100000, tzinfo=UTC)),
        ("1710411010.999999", datetime(2024, 3, 14, 10, 10, 10, 999999, tzinfo=UTC)),
        ("1433558207.760577", datetime(2015, 6, 6, 2, 36, 47, 760577, tzinfo=UTC)),
    ],
)
def test_slack_ts_forms(ts: str, expected: datetime) -> None:
    assert parse_slack_ts(ts) == expected


@given(st.integers(min_value=0, max_value=4_102_444_800), st.integers(min_value=0, max_value=999_999))
def test_slack_ts_matches_decimal_arithmetic_where_a_float_would_drift(seconds: int, micros: int) -> None:
    ts = f"{seconds}.{micros:06d}"
    assert parse_slack_ts(ts) == EPOCH + timedelta(microseconds=int(Decimal(ts) * 1_000_000))


@pytest.mark.parametrize(
    "ts", ["", "abc", "1710411010.00x1", "-1.5", "1_710_411_010.0", "١٧١٠٤١١٠١٠.0", "999999999999.0", "9" * 30]
)
def test_slack_ts_refuses_what_is_not_one(ts: str) -> None:
    with pytest.raises(TimestampError):
        parse_slack_ts(ts)


def test_epoch_units_agree_on_one_instant() -> None:
    assert from_epoch_seconds(1710411010) == AT.replace(microsecond=0)
    assert from_epoch_seconds("1710411010.0001") == AT
    assert from_epoch_ms(1710411010000) == AT.replace(microsecond=0)
    assert from_epoch_us(1710411010000100) == AT
    assert from_epoch_ns(1710411010000100999) == AT  # truncated to the microsecond
    assert from_epoch_ns("1710411010000100000") == AT


def test_opsgenie_epochs_from_its_webhooks() -> None:
    assert from_epoch_ms(1502709956288) == datetime(2017, 8, 14, 11, 25, 56, 288000, tzinfo=UTC)
    assert from_epoch_ns(1420452224764002246) == datetime(2015, 1, 5, 10, 3, 44, 764002, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [1710411010, "1710411010", 1710411010000, "1710411010000000", 1710411010000000000, "1710411010.0"],
)
def test_epoch_unit_is_guessed_from_its_size(value: int | str) -> None:
    assert from_epoch_auto(value) == AT.replace(microsecond=0)


def test_float_seconds_keep_their_printed_digits() -> None:
    assert from_epoch_seconds(1710411010.0001) == AT


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-14T10:10:10.000100Z",
        "2024-03-14T10:10:10.000100+00:00",
        "2024-03-14T11:10:10.000100+01:00",
        "2024-03-14T11:10:10.000100+0100",
        "2024-03-14T05:40:10.000100-04:30",
        "2024-03-14T10:10:10.000100999Z",
        "2024-03-14 10:10:10.000100Z",
    ],
)
def test_rfc3339_with_any_offset_is_converted_to_utc(text: str) -> None:
    parsed = parse_rfc3339(text)
    assert parsed == AT
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_jira_timestamps_without_a_colon_in_the_offset() -> None:
    assert parse_rfc3339("2024-03-14T10:08:10.000+0000") == datetime(2024, 3, 14, 10, 8, 10, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2024-03-14T10:10:10", "yesterday", "", "2024-13-40T10:00:00Z"])
def test_rfc3339_refuses_times_without_offset_or_sense(text: str) -> None:
    with pytest.raises(TimestampError):
        parse_rfc3339(text)


def test_a_time_without_a_zone_is_read_in_the_zone_given_else_as_utc_and_says_so() -> None:
    assert read_datetime("2024-03-14 11:10:10") == (datetime(2024, 3, 14, 11, 10, 10, tzinfo=UTC), True)
    assert read_datetime("2024-03-14 11:10:10", "Europe/Copenhagen") == (
        datetime(2024, 3, 14, 10, 10, 10, tzinfo=UTC),
        True,
    )
    # Summer time in the same zone is two hours ahead of UTC.
    assert read_datetime("2024-07-14 12:10:10", "Europe/Copenhagen")[0] == datetime(2024, 7, 14, 10, 10, 10, tzinfo=UTC)
    assert read_datetime("2024-03-14T11:10:10+01:00") == (datetime(2024, 3, 14, 10, 10, 10, tzinfo=UTC), False)
    assert read_datetime(1710411010) == (datetime(2024, 3, 14, 10, 10, 10, tzinfo=UTC), False)


def test_an_offset_in_the_text_wins_over_the_zone() -> None:
    assert read_datetime("2024-03-14T10:10:10Z", "America/New_York")[0] == datetime(2024, 3, 14, 10, 10, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "tz"),
    [
        ("14/Mar/2024:11:10:10 +0100", None),
        ("Thu, 14 Mar 2024 11:10:10 +0100", None),
        ("Thu Mar 14 11:10:10 2024 +0100", None),
        ("2024-03-14 11:10:10,000", "+01:00"),
        ("1710411010", None),
        ("2024-03-14T10:10:10", "UTC"),
    ],
)
def test_common_log_time_forms(text: str, tz: str | None) -> None:
    assert read_datetime(text, tz)[0] == AT.replace(microsecond=0)


def test_unknown_zone_is_named() -> None:
    with pytest.raises(TimestampError, match="Mars/Olympus"):
        read_datetime("2024-03-14 11:10:10", "Mars/Olympus")
    assert zone("+05:30").utcoffset(None).total_seconds() == 19800  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "Thu Mar 14 11:10:10 2024 +0100",
        "2024-03-14T11:10:10+01:00",
        "2024-03-14 11:10:10 +0100",
        "Thu, 14 Mar 2024 11:10:10 +0100",
        "1710411010 +0100",
    ],
)
def test_git_date_forms(text: str) -> None:
    assert parse_git_date(text) == AT.replace(microsecond=0)


@pytest.mark.parametrize("text", ["2 days ago", "2024-03-14", "Thu Mar 14 11:10:10 2024"])
def test_git_dates_without_time_or_zone_are_refused(text: str) -> None:
    with pytest.raises(TimestampError):
        parse_git_date(text)


def test_format_utc_writes_a_z() -> None:
    assert format_utc(parse_rfc3339("2024-03-14T11:10:10+01:00")) == "2024-03-14T10:10:10Z"
