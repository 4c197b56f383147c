"""Field types shared by the API's request bodies: UTC times, text without NUL, bounded ids and versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

MAX_ID = 2**31 - 1


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; say so as a field error rather than fail in the database.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


Text = Annotated[str, AfterValidator(_no_nul)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_nul)]
Label = Annotated[str, Field(max_length=200), AfterValidator(_no_nul)]
UtcTime = Annotated[AwareDatetime, AfterValidator(_utc)]
Version = Annotated[int, Field(ge=1, le=MAX_ID, description="The version the change is based on (or use If-Match).")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryText = Annotated[str | None, Query(max_length=200)]
UserName = Annotated[str, Path(min_length=1, max_length=100, description="A user name.")]


class Page(BaseModel):
    """Where a page of a list starts and whether there is more."""

    limit: int
    offset: int
    next_offset: int | None = None
