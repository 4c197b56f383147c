"""Issue trackers (Jira Cloud, GitHub Issues, Linear) behind one small interface that `actions sync` drives."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal, Protocol

from afteraction.core.errors import ConfigurationError, TrackerError

if TYPE_CHECKING:
    from afteraction.core.config import Settings

RemoteState = Literal["open", "in-progress", "done", "wont-do"]
TRACKERS: tuple[str, ...] = ("jira", "github", "linear")
TRACKER_TITLES = {"jira": "Jira", "github": "GitHub", "linear": "Linear"}
Sleep = Callable[[float], None]


class TrackerUnreachable(TrackerError):
    """The tracker could not be reached at all (DNS, refused connection, timeout): later items would fail too."""


@dataclass(frozen=True, slots=True)
class TrackerItem:
    """An action item as a tracker issue is made from it."""

    action_id: str
    title: str
    incident_id: str
    incident_title: str
    marker: str
    due: date | None = None
    priority: str | None = None
    type: str | None = None
    owner: str | None = None
    owner_email: str | None = None
    owner_github: str | None = None
    link: str | None = None


@dataclass(frozen=True, slots=True)
class TrackerIssue:
    """An issue in a tracker: its key (`OPS-12`, `owner/repo#7`, `ENG-3`) and web address."""

    key: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteStatus:
    """Where an issue stands in its tracker, as an action item status, and the tracker's own name for it."""

    state: RemoteState
    name: str


class Tracker(Protocol):
    """What `actions sync` needs of a tracker."""

    name: str

    def create(self, item: TrackerItem) -> TrackerIssue:
        """Create an issue for an action item."""
        ...

    def find(self, item: TrackerItem) -> TrackerIssue | None:
        """The issue an earlier, interrupted create made for this item (by its marker), if it exists."""
        ...

    def fetch_status(self, key: str) -> RemoteStatus:
        """The status of an issue."""
        ...

    def update(self, key: str, item: TrackerItem) -> None:
        """Push an action item's title and due date to its issue."""
        ...

    def close(self) -> None:
        """Release the connections."""
        ...


def configured_trackers(settings: Settings) -> list[str]:
    """The trackers whose settings are present."""
    found = []
    if settings.jira_url or settings.jira_token:
        found.append("jira")
    if settings.github_repo or settings.github_token:
        found.append("github")
    if settings.linear_team or settings.linear_token:
        found.append("linear")
    return found


def choose_tracker(settings: Settings, wanted: str | None) -> str:
    """The tracker to sync with: the one asked for, AFTERACTION_TRACKER, or the only one configured."""
    name = (wanted or settings.tracker or "").strip().lower()
    if name:
        if name not in TRACKERS:
            raise ConfigurationError(f"unknown tracker {name!r}: expected one of {', '.join(TRACKERS)}")
        return name
    found = configured_trackers(settings)
    if len(found) == 1:
        return found[0]
    if not found:
        raise ConfigurationError(
            "no tracker is configured: set AFTERACTION_JIRA_URL (Jira), AFTERACTION_GITHUB_REPO (GitHub) or "
            "AFTERACTION_LINEAR_TEAM (Linear) and its token; see docs/integrations-trackers.md"
        )
    raise ConfigurationError(f"several trackers are configured ({', '.join(found)}): choose one with --tracker")


def make_tracker(name: str, settings: Settings, *, sleep: Sleep = time.sleep) -> Tracker:
    """A client for the named tracker, built from the settings (ConfigurationError names what is missing)."""
    if name == "jira":
        from afteraction.trackers.jira import JiraTracker

        return JiraTracker(settings, sleep=sleep)
    if name == "github":
        from afteraction.trackers.github import GitHubTracker

        return GitHubTracker(settings, sleep=sleep)
    if name == "linear":
        from afteraction.trackers.linear import LinearTracker

        return LinearTracker(settings, sleep=sleep)
    raise ConfigurationError(f"unknown tracker {name!r}: expected one of {', '.join(TRACKERS)}")


def require(settings: Settings, tracker: str, *names: str) -> None:
    """Raise ConfigurationError naming every missing setting of a tracker."""
    missing = [f"AFTERACTION_{n.upper()}" for n in names if not getattr(settings, n)]
    if missing:
        raise ConfigurationError(f"{TRACKER_TITLES[tracker]} is not configured: set {', '.join(missing)}")
