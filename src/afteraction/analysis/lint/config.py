"""Lint configuration: which rules run, at which severity, and which sections each kind of document needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from afteraction.analysis.lint.model import RULES, SEVERITIES, Severity
from afteraction.core.errors import ConfigurationError
from afteraction.core.toml import read_toml
from afteraction.domain.incidents import KINDS

SECTION_KEYS: tuple[str, ...] = (
    "summary",
    "impact",
    "trigger",
    "detection",
    "resolution",
    "timeline",
    "whys",
    "factors",
    "went-well",
    "went-wrong",
    "lucky",
    "learned",
    "actions",
    "supporting_info",
)
_SECTION_ALIASES = {
    "action-items": "actions",
    "action_items": "actions",
    "five-whys": "whys",
    "5-whys": "whys",
    "contributing-factors": "factors",
    "root-causes": "factors",
    "lessons": "learned",
    "lessons-learned": "learned",
    "supporting-info": "supporting_info",
    "supporting-information": "supporting_info",
    "went_well": "went-well",
    "went_wrong": "went-wrong",
}
DEFAULT_SECTIONS: tuple[str, ...] = ("summary", "impact", "timeline", "actions")
_KEYS = ("select", "ignore", "severity", "required-sections", "required_sections")


def _matches(pattern: str, rule_id: str) -> bool:
    pattern = pattern.strip().lower().removesuffix("/*").removesuffix("/")
    return pattern in ("all", "*", rule_id) or rule_id.startswith(pattern + "/")


def _specificity(pattern: str) -> int:
    return 2 if "/" in pattern.removesuffix("/*").removesuffix("/") else 1


@dataclass(frozen=True, slots=True)
class LintConfig:
    """Which rules run (select, then ignore), severity overrides, and required sections per incident kind."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    required_sections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: Path | None = None
    # template boilerplate not checked for blame: headings (their whole section) and lines, as an import mapping's
    # `[ignore]` lists them
    boilerplate_headings: frozenset[str] = frozenset()
    boilerplate_text: frozenset[str] = frozenset()

    def with_boilerplate(self, headings: Iterable[str], text: Iterable[str]) -> LintConfig:
        """This configuration, also leaving out a template's boilerplate headings and lines (an `ImportMapping`'s
        `ignore_headings` and `ignore_text`)."""
        return replace(
            self,
            boilerplate_headings=self.boilerplate_headings | frozenset(headings),
            boilerplate_text=self.boilerplate_text | frozenset(text),
        )

    def enabled(self, rule_id: str) -> bool:
        """Whether a rule runs: selected (all by default) and not ignored."""
        if self.select and not any(_matches(p, rule_id) for p in self.select):
            return False
        return not any(_matches(p, rule_id) for p in self.ignore)

    def severity_of(self, rule_id: str) -> Severity:
        """The severity of a rule: the most specific override, else its default."""
        best: tuple[int, Severity] | None = None
        for pattern, level in self.severity.items():
            if _matches(pattern, rule_id) and (best is None or _specificity(pattern) > best[0]):
                best = (_specificity(pattern), level)
        return best[1] if best else RULES[rule_id].severity

    def sections_for(self, kind: str) -> tuple[str, ...]:
        """The sections a document of this kind must have."""
        if kind in self.required_sections:
            return self.required_sections[kind]
        return self.required_sections.get("default", DEFAULT_SECTIONS)


def _check_patterns(values: Any, name: str, where: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigurationError(f"{where}: lint '{name}' must be a list of rule ids")
    for value in values:
        if not any(_matches(value, rule_id) for rule_id in RULES):
            raise ConfigurationError(f"{where}: lint '{name}' names no rule: {value!r}")
    return tuple(v.strip().lower() for v in values)


def _section_key(name: str, where: str) -> str:
    key = name.strip().lower().replace(" ", "-")
    key = _SECTION_ALIASES.get(key, key)
    if key not in SECTION_KEYS:
        known = ", ".join(SECTION_KEYS)
        raise ConfigurationError(f"{where}: unknown section {name!r} in lint required-sections (known: {known})")
    return key


def config_from_mapping(
    data: Mapping[str, Any], *, where: str = "lint config", source: Path | None = None
) -> LintConfig:
    """A LintConfig from the `[tool.afteraction.lint]` table, checking every key and value."""
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown lint setting {unknown[0]!r} (known: select, ignore, severity, required-sections)"
        )
    select = _check_patterns(data.get("select", []), "select", where)
    ignore = _check_patterns(data.get("ignore", []), "ignore", where)
    severity: dict[str, Severity] = {}
    levels = data.get("severity", {})
    if not isinstance(levels, dict):
        raise ConfigurationError(f"{where}: lint 'severity' must be a table of rule id = severity")
    for pattern, level in levels.items():
        _check_patterns([pattern], "severity", where)
        if level not in SEVERITIES:
            raise ConfigurationError(f"{where}: severity of {pattern!r} must be error, warning or info, not {level!r}")
        severity[pattern.strip().lower()] = cast(Severity, level)
    required: dict[str, tuple[str, ...]] = {}
    sections = data.get("required-sections", data.get("required_sections", {}))
    if isinstance(sections, list):
        sections = {"default": sections}
    if not isinstance(sections, dict):
        raise ConfigurationError(f"{where}: lint 'required-sections' must be a list or a table of kind = list")
    for kind, names in sections.items():
        if kind != "default" and kind not in KINDS:
            raise ConfigurationError(f"{where}: unknown incident kind {kind!r} in lint required-sections")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigurationError(f"{where}: required-sections.{kind} must be a list of section names")
        required[kind] = tuple(_section_key(n, where) for n in names)
    return LintConfig(select=select, ignore=ignore, severity=severity, required_sections=required, source=source)


def _lint_table(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    tool = data.get("tool", {})
    table = tool.get("afteraction", {}).get("lint") if isinstance(tool, dict) else None
    if table is None and path.name == ".afteraction.toml":
        table = data.get("lint", {})
    if table is not None and not isinstance(table, dict):
        raise ConfigurationError(f"{path}: the lint settings must be a table")
    return table


def load_lint_config_file(path: Path) -> LintConfig:
    """The lint configuration of one file (`pyproject.toml` or `.afteraction.toml`); defaults if it has none."""
    table = _lint_table(path, read_toml(path))
    return config_from_mapping(table or {}, where=str(path), source=path)


def load_lint_config(start: Path) -> LintConfig:
    """The nearest lint configuration at or above `start`: `.afteraction.toml`, or `pyproject.toml` with a table."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        for name in (".afteraction.toml", "pyproject.toml"):
            path = folder / name
            if not path.is_file():
                continue
            table = _lint_table(path, read_toml(path))
            if table is not None or name == ".afteraction.toml":
                return config_from_mapping(table or {}, where=str(path), source=path)
    return LintConfig()
