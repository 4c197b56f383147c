"""Exact conversion of the timestamps sources write (epochs, RFC 3339, Slack ts, git dates) to aware UTC datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
# git's default date: "Thu Mar 14 10:08:10 2024 +0100"
_GIT_DEFAULT = re.compile(
    r"(?:[A-Za-z]{3},? +)?([A-Za-z]{3}) +(\d{1,2}) +(\d{1,2}):(\d{2}):(\d{2}) +(\d{4})(?: +([+-])(\d{2}):?(\d{2}))?$"
)
# Common Log Format: "14/Mar/2024:10:08:10 +0000"
_CLF = re.compile(r"(\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?: +([+-])(\d{2})(\d{2}))?$")
# git --date=raw: "1710407290 +0100"
_RAW = re.compile(r"(\d+) [+-]\d{4}$")
_HAS_TIME = re.compile(r"\d[T ]\d{1,2}:\d{2}|^\d{8}T\d{2}")


class TimestampError(ValueError):
    """A timestamp could not be understood; the message says why, without file or line."""


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def from_epoch_seconds(value: int | float | str) -> datetime:
    """A Unix time in seconds (an int, a decimal string, or a float kept at its printed digits) as UTC."""
    if isinstance(value, bool):
        raise TimestampError(f"{value!r} is not a number of seconds")
    if isinstance(value, int):
        return EPOCH + timedelta(0, value)
    text = repr(value) if isinstance(value, float) else value.strip()
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("+-").partition(".")
    if not _digits(whole) or (frac and not _digits(frac)):
        raise TimestampError(f"{value!r} is not a number of seconds")
    micros = int(whole) * 1_000_000 + int(frac[:6].ljust(6, "0"))
    try:
        return EPOCH + timedelta(microseconds=-micros if negative else micros)
    except OverflowError:
        raise TimestampError(f"{value!r} is out of range") from None


def from_epoch_ms(value: int | str) -> datetime:
    """A Unix time in milliseconds as UTC."""
    return _from_epoch_fraction(value, 1_000, "milliseconds")


def from_epoch_us(value: int | str) -> datetime:
    """A Unix time in microseconds as UTC."""
    return _from_epoch_fraction(value, 1_000_000, "microseconds")


def from_epoch_ns(value: int | str) -> datetime:
    """A Unix time in nanoseconds as UTC, truncated to the microsecond (a datetime holds no finer)."""
    return _from_epoch_fraction(value, 1_000_000_000, "nanoseconds")


def _from_epoch_fraction(value: int | str, per_second: int, unit: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TimestampError(f"{value!r} is not a whole number of {unit}")
    if isinstance(value, str):
        text = value.strip()
        if not _digits(text.lstrip("-")):
            raise TimestampError(f"{value!r} is not a whole number of {unit}")
        value = int(text)
    seconds, rest = divmod(value, per_second)
    try:
        return EPOCH + timedelta(0, seconds, rest * 1_000_000 // per_second)
    except OverflowError:
        raise TimestampError(f"{value!r} {unit} is out of range") from None


def from_epoch_auto(value: int | float | str) -> datetime:
    """A Unix time whose unit is guessed from its size: seconds, milliseconds, microseconds or nanoseconds."""
    text = repr(value) if isinstance(value, float) else str(value).strip()
    whole = text.lstrip("+-").partition(".")[0]
    # Seconds stay under 12 digits until the year 5138, so the digit count tells the unit.
    if len(whole) <= 11 or "." in text:
        return from_epoch_seconds(value)
    if len(whole) <= 14:
        return from_epoch_ms(text)
    if len(whole) <= 17:
        return from_epoch_us(text)
    return from_epoch_ns(text)


def parse_slack_ts(ts: str) -> datetime:
    """Slack's message id `"1710411010.000100"` as UTC, microseconds exact (integer arithmetic, never a float)."""
    whole, _, frac = ts.partition(".")
    if len(frac) != 6:
        frac = frac[:6].ljust(6, "0")
    if not (whole.isdigit() and frac.isdigit() and ts.isascii()):
        raise TimestampError(f"{ts!r} is not a Slack timestamp")
    try:
        return EPOCH + timedelta(0, int(whole), int(frac))
    except OverflowError:
        raise TimestampError(f"{ts!r} is out of range") from None


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 / ISO 8601 time with an offset (`Z`, `+01:00`, `+0100`; any fraction) as UTC."""
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            raise TimestampError(f"{text!r} has no UTC offset")
        return parsed.astimezone(UTC)
    except TimestampError:
        raise
    except (ValueError, OverflowError, TypeError):
        raise TimestampError(f"{text!r} is not an RFC 3339 time") from None


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The time zone of an IANA name (`Europe/Copenhagen`), `UTC`, or a fixed offset such as `+01:00`."""
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", name.strip())
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimestampError(f"unknown time zone {name!r}") from None


def read_datetime(value: str | int | float, tz: str | None = None) -> tuple[datetime, bool]:
    """Any common written time as UTC, and whether it was written without an offset: such a time is read in `tz`
    (a zone name), or as UTC when `tz` is None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch_auto(value), False
    if not isinstance(value, str):
        raise TimestampError(f"{value!r} is not a time")
    text = value.strip()
    if not text:
        raise TimestampError("the time is empty")
    if _digits(text.replace(".", "", 1)):
        return from_epoch_auto(text), False
    parsed = _parse_written(text)
    if parsed is None:
        raise TimestampError(f"{value!r} is not a time this tool can read")
    naive = parsed.tzinfo is None
    if naive:
        parsed = parsed.replace(tzinfo=zone(tz) if tz is not None else UTC)
    try:
        return parsed.astimezone(UTC), naive
    except OverflowError:
        raise TimestampError(f"{value!r} is out of range") from None


def _parse_written(text: str) -> datetime | None:
    if _HAS_TIME.search(text):
        try:
            return datetime.fromisoformat(text.replace(",", ".", 1) if "," in text else text)
        except ValueError:
            pass
    raw = _RAW.fullmatch(text)
    if raw:
        return from_epoch_seconds(int(raw.group(1)))
    git = _GIT_DEFAULT.fullmatch(text)
    if git:
        return _assemble(git.group(6), git.group(1), git.group(2), git.group(3, 4, 5), git.group(7, 8, 9))
    clf = _CLF.fullmatch(text)
    if clf:
        return _assemble(clf.group(3), clf.group(2), clf.group(1), clf.group(4, 5, 6), clf.group(7, 8, 9))
    if "," in text or text[:3].lower() in _MONTHS or text[:1].isdigit():
        try:
            return parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError):
            return None
    return None


def _assemble(year: str, month: str, day: str, hms: tuple[str, ...], offset: tuple[str | None, ...]) -> datetime | None:
    number = _MONTHS.get(month.lower())
    if number is None:
        return None
    zone_info: tzinfo | None = None
    if offset[0] is not None and offset[1] is not None and offset[2] is not None:
        sign = -1 if offset[0] == "-" else 1
        zone_info = timezone(sign * timedelta(hours=int(offset[1]), minutes=int(offset[2])))
    try:
        return datetime(int(year), number, int(day), int(hms[0]), int(hms[1]), int(hms[2]), tzinfo=zone_info)
    except ValueError:
        return None


def parse_git_date(text: str) -> datetime:
    """A date as `git log` prints it (default, iso, iso-strict, rfc, raw, unix) as UTC."""
    parsed = _parse_written(text.strip())
    if parsed is None and _digits(text.strip()):
        parsed = from_epoch_seconds(int(text.strip()))
    if parsed is None:
        raise TimestampError(f"{text!r} is not a date git prints (relative and short dates carry no time)")
    if parsed.tzinfo is None:
        raise TimestampError(f"{text!r} has no UTC offset (git log --date=local); use the default date format")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise TimestampError(f"{text!r} is out of range") from None


def format_utc(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, microseconds only when present."""
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")
