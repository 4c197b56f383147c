"""Jira Cloud (REST API v3): an issue per action item, assignee found by e-mail, status read back."""

from __future__ import annotations

import time
from typing import Any

import httpx

from afteraction.core.config import Settings
from afteraction.core.errors import TrackerError
from afteraction.trackers import RemoteStatus, Sleep, TrackerIssue, TrackerItem, require
from afteraction.trackers.http import HttpClient

PRIORITIES = {"P0": "Highest", "P1": "High", "P2": "Medium", "P3": "Low"}
WONT_DO_RESOLUTIONS = frozenset(
    {"won't do", "won't fix", "wont do", "wont fix", "declined", "duplicate", "cannot reproduce"}
)


def marker_label(marker: str) -> str:
    """The label that finds the issue of an interrupted create again."""
    return f"afteraction-{marker}"


def _text(text: str, href: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if href:
        node["marks"] = [{"type": "link", "attrs": {"href": href}}]
    return node


def adf_description(item: TrackerItem) -> dict[str, Any]:
    """The issue description as an Atlassian Document Format document that links back to the post-mortem."""
    # No due date here: it is in the `duedate` field, which a push keeps current; a copy here would go stale.
    source = f"{item.incident_id}: {item.incident_title}"
    details = [f"Action item {item.action_id}"]
    details += [f"type {item.type}"] if item.type else []
    details += [f"priority {item.priority}"] if item.priority else []
    details += [f"owner {item.owner}"] if item.owner else []
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [_text("From the post-mortem of "), _text(source, item.link), _text(".")],
            },
            {"type": "paragraph", "content": [_text(", ".join(details) + ".")]},
            {
                "type": "paragraph",
                "content": [_text("Tracked by afteraction: when this issue is done, the action item is done.")],
            },
        ],
    }


class JiraTracker:
    """Jira Cloud through REST v3 with an API token (basic auth: e-mail and token)."""

    name = "jira"

    def __init__(self, settings: Settings, *, sleep: Sleep = time.sleep) -> None:
        require(settings, "jira", "jira_url", "jira_email", "jira_token", "jira_project")
        assert settings.jira_url and settings.jira_email and settings.jira_token and settings.jira_project
        self.site = settings.jira_url.rstrip("/")
        self.project = settings.jira_project
        self.issue_type = settings.jira_issue_type
        self.http = HttpClient(
            "Jira",
            base_url=self.site,
            headers={"Accept": "application/json"},
            auth=httpx.BasicAuth(settings.jira_email, settings.jira_token.get_secret_value()),
            timeout=settings.outbound_timeout,
            max_wait=settings.tracker_max_wait,
            auth_hint="AFTERACTION_JIRA_EMAIL and AFTERACTION_JIRA_TOKEN",
            sleep=sleep,
        )
        self._accounts: dict[str, str | None] = {}

    def account_id(self, email: str) -> str | None:
        """The account id of the Jira user with this e-mail address, through the user search."""
        key = email.lower()
        if key not in self._accounts:
            users = self.http.json(self.http.request("GET", "/rest/api/3/user/search", params={"query": email}))
            found = None
            if isinstance(users, list):
                active = [u for u in users if isinstance(u, dict) and u.get("active", True) and u.get("accountId")]
                exact = [u for u in active if str(u.get("emailAddress", "")).lower() == key]
                # Privacy settings can hide e-mail addresses: then the search's best match is taken.
                chosen = exact[0] if exact else (active[0] if len(active) == 1 else None)
                found = str(chosen["accountId"]) if chosen else None
            self._accounts[key] = found
        return self._accounts[key]

    def _fields(self, item: TrackerItem) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "project": {"key": self.project},
            "issuetype": {"name": self.issue_type},
            "summary": item.title[:255],
            "description": adf_description(item),
            "labels": ["postmortem", item.incident_id, marker_label(item.marker)],
        }
        if item.due:
            fields["duedate"] = item.due.isoformat()
        if item.priority in PRIORITIES:
            fields["priority"] = {"name": PRIORITIES[item.priority]}
        account = self.account_id(item.owner_email) if item.owner_email else None
        if account:
            fields["assignee"] = {"id": account}
        return fields

    def _issue(self, key: str) -> TrackerIssue:
        return TrackerIssue(key=key, url=f"{self.site}/browse/{key}")

    def create(self, item: TrackerItem) -> TrackerIssue:
        """Create the issue (`POST /rest/api/3/issue`)."""
        body = self.http.json(self.http.request("POST", "/rest/api/3/issue", json_body={"fields": self._fields(item)}))
        if not isinstance(body, dict) or not body.get("key"):
            raise TrackerError("Jira created an issue but did not say its key")
        return self._issue(str(body["key"]))

    def find(self, item: TrackerItem) -> TrackerIssue | None:
        """The issue labelled with the marker (`GET /rest/api/3/search/jql`)."""
        params = {"jql": f'labels = "{marker_label(item.marker)}"', "fields": "summary", "maxResults": "1"}
        body = self.http.json(self.http.request("GET", "/rest/api/3/search/jql", params=params))
        issues = body.get("issues") if isinstance(body, dict) else None
        return self._issue(str(issues[0]["key"])) if issues else None

    def fetch_status(self, key: str) -> RemoteStatus:
        """The issue's status category: `done` is done (wont-do when resolved as Won't Do), `indeterminate` started."""
        response = self.http.request("GET", f"/rest/api/3/issue/{key}", params={"fields": "status,resolution"})
        fields = (self.http.json(response) or {}).get("fields") or {}
        status = fields.get("status") or {}
        category = str((status.get("statusCategory") or {}).get("key", "new"))
        name = str(status.get("name") or category)
        if category == "done":
            resolution = str((fields.get("resolution") or {}).get("name", "")).lower()
            return RemoteStatus("wont-do" if resolution in WONT_DO_RESOLUTIONS else "done", name)
        return RemoteStatus("in-progress" if category == "indeterminate" else "open", name)

    def update(self, key: str, item: TrackerItem) -> None:
        """Push the summary and due date (`PUT /rest/api/3/issue/{key}`)."""
        fields: dict[str, Any] = {"summary": item.title[:255], "duedate": item.due.isoformat() if item.due else None}
        self.http.request("PUT", f"/rest/api/3/issue/{key}", json_body={"fields": fields}, expect=(204, 200))

    def close(self) -> None:
        """Close the connections."""
        self.http.close()
