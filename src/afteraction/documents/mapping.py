"""A company's mapping of its own post-mortem template onto afteraction's fields (`import --mapping mapping.toml`).

```toml
zone = "America/Los_Angeles"        # the zone of times a document writes without one (a document's own statement wins)

[sections]                           # a heading (any case) -> a section key of documents.parse, or a custom section
"Lessons learnt" = "learned"
"Customer comms" = "custom:Customer communication"

[columns]                            # an action table's column (any case) -> an action item field
"Bug #" = "tracker"

[values.priority]                    # a written value (any case) -> afteraction's value, per field
"Sev-1" = "P1"
[values.status]
"Shipped" = "done"

[ignore]                             # template boilerplate: never read into a field, never linted for blame
headings = ["Things that could have gone better"]
text = ["Replace this line with the summary."]
```

Pure: reading the file is core/toml.py's (errors name the file and line); nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from afteraction.core.errors import ConfigurationError
from afteraction.core.toml import read_toml

VALUE_FIELDS: tuple[str, ...] = ("priority", "status", "type", "severity")
_TABLES = ("sections", "columns", "values", "ignore")
ACTION_FIELDS: tuple[str, ...] = ("title", "type", "owner", "due", "priority", "status", "tracker", "addresses")


def section_targets() -> frozenset[str]:
    """The section keys a heading may be mapped to (documents.parse's), besides `custom:Name`."""
    from afteraction.documents.parse import SECTION_KEYS  # parse imports this module: read when a file is loaded

    return frozenset(SECTION_KEYS.values())


def _key(text: str) -> str:
    """How headings, columns and values are compared: case and surrounding space ignored, inner space collapsed."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class ImportMapping:
    """What one company's template means: see the module's example. Empty by default (afteraction's own rules)."""

    sections: dict[str, str] = field(default_factory=dict)  # _key(heading) -> section key or "custom:Name"
    columns: dict[str, str] = field(default_factory=dict)  # _key(column) -> action item field
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> _key(written) -> value
    zone: str | None = None
    ignore_headings: frozenset[str] = frozenset()  # _key(heading)
    ignore_text: frozenset[str] = frozenset()  # _key(line)
    path: str | None = None

    def section_for(self, heading: str) -> str | None:
        """The section a heading is mapped to, if the mapping names it."""
        return self.sections.get(_key(heading))

    def column_for(self, column: str) -> str | None:
        """The action item field a table column is mapped to, if the mapping names it."""
        return self.columns.get(_key(column))

    def value_for(self, field_name: str, written: str) -> str | None:
        """The value a written value of a field is mapped to, if the mapping names it."""
        return self.values.get(field_name, {}).get(_key(written))

    def ignores_heading(self, heading: str) -> bool:
        """Whether a heading is template boilerplate."""
        return _key(heading) in self.ignore_headings

    def ignores_text(self, line: str) -> bool:
        """Whether a line of text is template boilerplate."""
        return _key(line) in self.ignore_text

    def with_zone(self, zone: str | None) -> ImportMapping:
        """This mapping with `zone` as the zone of times written without one (`import --tz`); None keeps the
        mapping's own. An unknown zone is a ConfigurationError naming it."""
        if zone is None:
            return self
        return replace(self, zone=check_zone(zone, "--tz"))


def load_mapping(path: Path) -> ImportMapping:
    """A mapping file read and checked; ConfigurationError naming the file (and the line, for invalid TOML) and
    the key that is wrong."""
    data = read_toml(path)
    where = str(path)
    unknown = sorted(set(data) - {"zone", *_TABLES})
    if unknown:
        raise ConfigurationError(f"{where}: unknown key {unknown[0]!r}: expected zone, {', '.join(_TABLES)}")
    zone = data.get("zone")
    if zone is not None:
        if not isinstance(zone, str):
            raise ConfigurationError(f"{where}: zone: expected a zone name such as Europe/Oslo")
        check_zone(zone, f"{where}: zone")
    values: dict[str, dict[str, str]] = {}
    for name, table in _table(data, "values", where).items():
        if name not in VALUE_FIELDS:
            raise ConfigurationError(f"{where}: values.{name}: expected one of {', '.join(VALUE_FIELDS)}")
        values[name] = {_key(k): v for k, v in _strings(table, f"values.{name}", where).items()}
    ignore = _table(data, "ignore", where)
    extra = sorted(set(ignore) - {"headings", "text"})
    if extra:
        raise ConfigurationError(f"{where}: ignore.{extra[0]}: expected headings or text")
    sections = _strings(_table(data, "sections", where), "sections", where)
    known = section_targets()
    for heading, target in sections.items():
        if target not in known and not (target.startswith("custom:") and target[7:].strip()):
            raise ConfigurationError(
                f"{where}: sections.{heading}: {target!r} is no section: expected custom:Name or one of "
                f"{', '.join(sorted(known))}"
            )
    columns = _strings(_table(data, "columns", where), "columns", where)
    for column, target in columns.items():
        if target not in ACTION_FIELDS:
            raise ConfigurationError(
                f"{where}: columns.{column}: {target!r} is no action item field: expected one of "
                f"{', '.join(ACTION_FIELDS)}"
            )
    return ImportMapping(
        sections={_key(k): v for k, v in sections.items()},
        columns={_key(k): v for k, v in columns.items()},
        values=values,
        zone=zone,
        ignore_headings=frozenset(_key(h) for h in _list(ignore.get("headings", []), "ignore.headings", where)),
        ignore_text=frozenset(_key(t) for t in _list(ignore.get("text", []), "ignore.text", where)),
        path=where,
    )


def check_zone(zone: str, where: str) -> str:
    """`zone` when it names a zone (Europe/Oslo, UTC), else a ConfigurationError starting with `where`."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"{where}: unknown zone {zone!r}: expected a zone name such as Europe/Oslo") from None
    return zone


def _table(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigurationError(f"{where}: {name}: expected a table ([{name}])")
    return value


def _strings(table: dict[str, Any], name: str, where: str) -> dict[str, str]:
    for key, value in table.items():
        if not isinstance(value, str):
            raise ConfigurationError(f"{where}: {name}.{key}: expected a string")
    return dict(table)


def _list(value: Any, name: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigurationError(f"{where}: {name}: expected a list of strings")
    return list(value)
