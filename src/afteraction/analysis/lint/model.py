"""The lint vocabulary: severities, the rule registry and the finding every rule reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Rule:
    """A lint rule: its id (`group/name`), default severity and what it checks, in one line."""

    id: str
    severity: Severity
    description: str

    @property
    def group(self) -> str:
        """The group of the rule id: `blame`, `action`, `whys` or `structure`."""
        return self.id.split("/", 1)[0]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one document, at a 1-based line and column when the source is known."""

    path: str | None
    line: int | None
    column: int | None
    rule: str
    severity: Severity
    message: str
    suggestion: str

    def to_dict(self) -> dict[str, str | int | None]:
        """The finding as `lint --format json` prints it."""
        # spelled out: dataclasses.asdict deep-copies every value and cost half of a 10,000-file JSON run's output
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "suggestion": self.suggestion,
        }


_RULES: tuple[Rule, ...] = (
    Rule("blame/person-as-cause", "error", "A person (by name or role) is presented as the cause of the incident."),
    Rule("blame/human-error", "error", '"Human error" or a synonym is named as a cause.'),
    Rule("blame/judgment", "error", "A judgment of people's character or effort (careless, sloppy, rushed)."),
    Rule("blame/hindsight", "warning", "A counterfactual written with hindsight (should have, could have, if only)."),
    Rule("action/vague", "error", "An action item with no concrete mechanism or object."),
    Rule("action/missing-owner", "error", "An action item has no owner."),
    Rule("action/missing-due", "error", "An open action item has no due date."),
    Rule("action/past-due", "error", "An open action item is past its due date."),
    Rule("action/missing-type", "error", "An action item has no type (prevent, mitigate, detect, ...)."),
    Rule("action/unlinked", "warning", "An action item addresses no cause or contributing factor."),
    Rule("whys/too-shallow", "warning", "The cause analysis stops after fewer than three whys."),
    Rule("whys/ends-at-person", "error", "A root cause is a person or human error, not a condition to change."),
    Rule("whys/no-root-cause", "error", "The five whys name no root cause."),
    Rule("structure/missing-section", "error", "A required section is missing or empty."),
    Rule("structure/timeline-order", "error", "A timeline event is earlier than the one before it."),
    Rule("structure/missing-key-moment", "error", "An incident has no detected or no resolved moment."),
)
RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}
