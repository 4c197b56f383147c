"""The follow-through policy: which incidents need a post-mortem, when it and its action items are due, what
publishing requires, and how to reach people. Pure: read from a TOML file, no database."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from afteraction.core.errors import ConfigurationError
from afteraction.core.toml import read_toml
from afteraction.domain.incidents import KINDS

SECTION_KEYS: tuple[str, ...] = (
    "summary", "impact", "trigger", "detection", "resolution", "timeline", "whys", "factors",
    "went-well", "went-wrong", "lucky", "learned", "actions", "supporting_info",
)  # fmt: skip
_SECTION_ALIASES = {
    "action-items": "actions",
    "action_items": "actions",
    "five-whys": "whys",
    "contributing-factors": "factors",
    "root-causes": "factors",
    "lessons": "learned",
    "supporting-info": "supporting_info",
    "supporting-information": "supporting_info",
    "went_well": "went-well",
    "went_wrong": "went-wrong",
}
DEFAULT_SECTIONS: tuple[str, ...] = ("summary", "impact", "timeline", "actions")
MILESTONE_SECTIONS: tuple[str, ...] = ("summary", "went-well", "went-wrong", "actions")
POLICY_FILES: tuple[str, ...] = ("afteraction.toml", ".afteraction.toml", "pyproject.toml")
_DURATION = re.compile(
    r"^\s*(\d+)\s*(d|days?|bd|business[ _-]?days?|w|weeks?)\s*$",
    re.IGNORECASE,
)
_POLICY_KEYS = {
    "require", "holidays", "require-owner", "require-due-date", "require-approval", "approvals",
    "postmortem-due", "action-due", "required-sections", "block-on-open-comments",
    "amend-returns-to-review",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Duration:
    """A span of calendar days, or of business days (Monday to Friday, holidays excluded)."""

    days: int
    business: bool = False

    def after(self, start: date, holidays: Iterable[date] = ()) -> date:
        """The date this long after start."""
        if not self.business:
            return start + timedelta(days=self.days)
        return add_business_days(start, self.days, holidays)

    def __str__(self) -> str:
        return f"{self.days} business days" if self.business else f"{self.days} days"


def add_business_days(start: date, days: int, holidays: Iterable[date] = ()) -> date:
    """The date `days` business days after start: weekends and holidays are skipped."""
    off = set(holidays)
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in off:
            remaining -= 1
    return current


def parse_duration(value: Any, where: str) -> Duration:
    """A duration from `3d`, `5bd`, `2w`, `5 business days` or a whole number of days."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Duration(value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise ConfigurationError(f"{where}: {value!r} is not a duration (expected e.g. 3d, 5bd, 2w)")
    amount, unit = int(match.group(1)), match.group(2).lower()
    if unit.startswith("w"):
        return Duration(amount * 7)
    return Duration(amount, business=unit.startswith("b"))


@dataclass(frozen=True, slots=True)
class Contact:
    """How to reach a person: e-mail address, Slack member id, GitHub login."""

    email: str | None = None
    slack: str | None = None
    github: str | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """What the team's process demands; the defaults follow common practice (see docs/integrations-trackers.md)."""

    require_severities: tuple[str, ...] = ("SEV1", "SEV2")
    require_kinds: tuple[str, ...] = ("near-miss", "failed-deploy", "milestone")
    postmortem_due: Mapping[str, Duration] = field(
        default_factory=lambda: {"SEV1": Duration(3), "SEV2": Duration(5, business=True), "default": Duration(10, True)}
    )
    action_due: Mapping[str, Duration] = field(
        default_factory=lambda: {"P0": Duration(7), "P1": Duration(14), "P2": Duration(30), "P3": Duration(90)}
    )
    required_sections: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {"default": DEFAULT_SECTIONS, "milestone": MILESTONE_SECTIONS}
    )
    require_owner: bool = True
    require_due_date: bool = True
    require_approval: bool = True
    block_on_open_comments: bool = False  # publishing waits until every comment is resolved
    approvals: int = 1
    amend_returns_to_review: bool = False  # a published post-mortem edited or re-imported goes back to in-review
    holidays: frozenset[date] = frozenset()
    people: Mapping[str, Contact] = field(default_factory=dict)
    source: Path | None = None

    def needs_postmortem(self, *, kind: str, severity: str | None) -> bool:
        """Whether an incident of this kind and severity must have a post-mortem (or a retrospective)."""
        if kind.lower() in {k.lower() for k in self.require_kinds}:
            return True
        return severity is not None and severity.upper() in {s.upper() for s in self.require_severities}

    def postmortem_due_after(self, *, kind: str, severity: str | None) -> Duration | None:
        """How long after resolution the post-mortem is due: by kind, then severity, then the default."""
        table = {key.lower(): value for key, value in self.postmortem_due.items()}
        for key in (kind if kind != "incident" else None, severity):
            if key and key.lower() in table:
                return table[key.lower()]
        return table.get("default")

    def postmortem_due_date(self, *, kind: str, severity: str | None, resolved: date) -> date | None:
        """The date a post-mortem is due, counted from the incident's resolution."""
        span = self.postmortem_due_after(kind=kind, severity=severity)
        return span.after(resolved, self.holidays) if span else None

    def action_due_date(self, *, priority: str | None, opened: date) -> date | None:
        """The default due date of an action item of a priority, counted from when it was opened."""
        table = {key.upper(): value for key, value in self.action_due.items()}
        span = table.get((priority or "").upper()) or table.get("DEFAULT")
        return span.after(opened, self.holidays) if span else None

    def sections_for(self, kind: str) -> tuple[str, ...]:
        """The sections a post-mortem of this kind must have before it is published."""
        return self.required_sections.get(kind) or self.required_sections.get("default", DEFAULT_SECTIONS)

    def contact(self, name: str) -> Contact:
        """How to reach someone: the `[people]` table (names match case-insensitively), or the name if an e-mail."""
        wanted = name.strip().lower()
        for key, contact in self.people.items():
            if key.strip().lower() == wanted:
                if contact.email is None and "@" in name:
                    return Contact(email=name.strip(), slack=contact.slack, github=contact.github)
                return contact
        return Contact(email=name.strip()) if "@" in name and " " not in name.strip() else Contact()


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"{where} must be a list of strings")
    return [v.strip() for v in value]


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{where} must be true or false, not {value!r}")
    return value


def _durations(value: Any, where: str) -> dict[str, Duration]:
    if not isinstance(value, dict):
        raise ConfigurationError(f"{where} must be a table of name = duration")
    return {str(key): parse_duration(span, f"{where}.{key}") for key, span in value.items()}


def _section(name: str, where: str) -> str:
    key = name.strip().lower().replace(" ", "-")
    key = _SECTION_ALIASES.get(key, key)
    if key not in SECTION_KEYS:
        raise ConfigurationError(f"{where}: unknown section {name!r} (known: {', '.join(SECTION_KEYS)})")
    return key


def _people(value: Any, where: str) -> dict[str, Contact]:
    if not isinstance(value, dict):
        raise ConfigurationError(f"{where} must be a table of name = e-mail or name = {{email, slack, github}}")
    people: dict[str, Contact] = {}
    for name, entry in value.items():
        if isinstance(entry, str):
            people[name] = Contact(email=entry.strip())
            continue
        if not isinstance(entry, dict) or not set(entry) <= {"email", "slack", "github"}:
            raise ConfigurationError(f"{where}.{name!r} must be an e-mail or a table with email, slack, github")
        if not all(isinstance(v, str) for v in entry.values()):
            raise ConfigurationError(f"{where}.{name!r}: email, slack and github must be strings")
        people[name] = Contact(email=entry.get("email"), slack=entry.get("slack"), github=entry.get("github"))
    return people


def policy_from_mapping(
    policy: Mapping[str, Any],
    people: Mapping[str, Any] | None = None,
    *,
    where: str = "policy",
    source: Path | None = None,
) -> Policy:
    """A Policy from the `[policy]` and `[people]` tables, checking every key and value."""
    norm = {str(key).replace("_", "-"): value for key, value in policy.items()}
    unknown = sorted(set(norm) - _POLICY_KEYS)
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown policy setting {unknown[0]!r} (known: {', '.join(sorted(_POLICY_KEYS))})"
        )
    base = Policy()
    kwargs: dict[str, Any] = {}
    if "require" in norm:
        values = _strings(norm["require"], f"{where}: policy.require")
        kinds = {k.lower() for k in KINDS}
        kwargs["require_kinds"] = tuple(v.lower() for v in values if v.lower() in kinds)
        kwargs["require_severities"] = tuple(v.upper() for v in values if v.lower() not in kinds)
    if "holidays" in norm:
        try:
            kwargs["holidays"] = frozenset(
                date.fromisoformat(v) for v in _strings(norm["holidays"], f"{where}: policy.holidays")
            )
        except ValueError:
            raise ConfigurationError(f"{where}: policy.holidays must be dates YYYY-MM-DD") from None
    for key, attr in (("require-owner", "require_owner"), ("require-due-date", "require_due_date"),
                      ("require-approval", "require_approval"),
                      ("block-on-open-comments", "block_on_open_comments"),
                      ("amend-returns-to-review", "amend_returns_to_review")):  # fmt: skip
        if key in norm:
            kwargs[attr] = _bool(norm[key], f"{where}: policy.{key}")
    if "approvals" in norm:
        approvals = norm["approvals"]
        if not isinstance(approvals, int) or isinstance(approvals, bool) or approvals < 1:
            raise ConfigurationError(f"{where}: policy.approvals must be a whole number of at least 1")
        kwargs["approvals"] = approvals
    if "postmortem-due" in norm:
        kwargs["postmortem_due"] = {
            **base.postmortem_due,
            **_durations(norm["postmortem-due"], f"{where}: policy.postmortem-due"),
        }
    if "action-due" in norm:
        kwargs["action_due"] = {**base.action_due, **_durations(norm["action-due"], f"{where}: policy.action-due")}
    if "required-sections" in norm:
        sections = norm["required-sections"]
        if isinstance(sections, list):
            sections = {"default": sections}
        if not isinstance(sections, dict):
            raise ConfigurationError(f"{where}: policy.required-sections must be a list or a table of kind = list")
        table = dict(base.required_sections)
        for kind, names in sections.items():
            if kind != "default" and kind not in KINDS:
                raise ConfigurationError(f"{where}: unknown incident kind {kind!r} in policy.required-sections")
            table[kind] = tuple(
                _section(n, where) for n in _strings(names, f"{where}: policy.required-sections.{kind}")
            )
        kwargs["required_sections"] = table
    if people is not None:
        kwargs["people"] = _people(people, f"{where}: people")
    return Policy(**kwargs, source=source)


def _tables(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    """The `[tool.afteraction]` table of a file, or the whole file for afteraction.toml."""
    tool = data.get("tool")
    table = tool.get("afteraction") if isinstance(tool, dict) else None
    if table is None and path.name != "pyproject.toml":
        table = data
    if table is not None and not isinstance(table, dict):
        raise ConfigurationError(f"{path}: [tool.afteraction] must be a table")
    return table


def load_policy_file(path: Path) -> Policy:
    """The policy of one file: `afteraction.toml` (tables `[policy]`, `[people]`) or `pyproject.toml`."""
    table = _tables(path, read_toml(path)) or {}
    policy = table.get("policy", {})
    if not isinstance(policy, dict):
        raise ConfigurationError(f"{path}: [policy] must be a table")
    return policy_from_mapping(policy, table.get("people"), where=str(path), source=path)


def load_policy(path: Path | None = None, *, start: Path | None = None) -> Policy:
    """The policy of a given file, or of the nearest policy file at or above start (the cwd); else the defaults."""
    if path is not None:
        if not path.is_file():
            raise ConfigurationError(f"policy file {path} does not exist (AFTERACTION_POLICY_FILE)")
        return load_policy_file(path)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in POLICY_FILES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            table = _tables(candidate, read_toml(candidate))
            if name != "pyproject.toml" or (table is not None and ("policy" in table or "people" in table)):
                return load_policy_file(candidate)
    return Policy()
