"""Which timeline events are highlights by default: the 10–40 events that tell an incident's story, out of the raw
evidence behind them. Pure rules; the timeline area stores the result per event (`timeline_events.highlight`) and
keeps what a person set by hand.

By default, an event is a highlight when it was added by hand, marks a key moment (set where the moments are
refreshed), is a deploy, a rollback or a decision, or comes from an alerting or paging source (except the delivery of
a notification to one person); a chat message is one only when its source flagged it (pinned, or reacted to).
The repeated firings and resolutions of one alert count once: its first firing and its last resolution
(`ALERT_GROUPED_SOURCES`, whose source ids begin with the alert's identity).
"""

from __future__ import annotations

HAND_SOURCES: frozenset[str] = frozenset({"manual"})
ALERTING_SOURCES: frozenset[str] = frozenset({"alertmanager", "grafana", "pagerduty", "opsgenie"})
CHAT_SOURCES: frozenset[str] = frozenset({"slack"})
STORY_KINDS: frozenset[str] = frozenset({"deploy", "rollback", "decision"})
QUIET_ALERTING_KINDS: frozenset[str] = frozenset({"notify"})  # one delivery per person and channel: noise
# Sources whose source ids are "<alert identity>:<episode>:<firing|resolved>": one alert's episodes are grouped.
ALERT_GROUPED_SOURCES: tuple[str, ...] = ("alertmanager", "grafana")
FIRING_KIND = "alert"
RESOLVED_KIND = "resolve"


def default_highlight(source: str, kind: str, flagged: bool = False) -> bool:
    """Whether an event of this source and kind is a highlight before anyone chooses (`flagged`: its source marked
    it, e.g. a pinned or reacted-to chat message)."""
    if flagged or kind in STORY_KINDS or source in HAND_SOURCES:
        return True
    if source in CHAT_SOURCES:
        return False
    return source in ALERTING_SOURCES and kind not in QUIET_ALERTING_KINDS


def alert_identity(source_id: str | None) -> str:
    """The alert an event of an ALERT_GROUPED_SOURCES source belongs to: its source id up to the first colon."""
    return (source_id or "").split(":", 1)[0]
