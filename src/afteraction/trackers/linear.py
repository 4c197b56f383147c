"""Linear (GraphQL): `issueCreate` per action item; a state of type completed is done, canceled is wont-do."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx

from afteraction.core.config import Settings
from afteraction.core.errors import ConfigurationError, TrackerAuthError, TrackerError
from afteraction.trackers import RemoteStatus, Sleep, TrackerIssue, TrackerItem, require
from afteraction.trackers.http import HttpClient, retry_after

PRIORITIES = {"P0": 1, "P1": 2, "P2": 3, "P3": 4}  # Linear: 1 urgent, 2 high, 3 medium, 4 low
_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.IGNORECASE)

TEAM_QUERY = """query TeamByKey($key: String!) {
  teams(filter: { key: { eq: $key } }) { nodes { id key } }
}"""
USER_QUERY = """query UserByEmail($email: String!) {
  users(filter: { email: { eq: $email } }) { nodes { id email } }
}"""
CREATE_MUTATION = """mutation IssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { id identifier url } }
}"""
ISSUE_QUERY = """query Issue($id: String!) {
  issue(id: $id) { id identifier url state { name type } }
}"""
UPDATE_MUTATION = """mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success }
}"""


def _codes(body: Any) -> list[str]:
    errors = body.get("errors") if isinstance(body, dict) else None
    codes = []
    for error in errors or []:
        extensions = error.get("extensions") or {} if isinstance(error, dict) else {}
        codes.append(str(extensions.get("code") or extensions.get("type") or "").upper().replace(" ", "_"))
    return codes


def linear_rate_limit(response: httpx.Response) -> float | None:
    """A 429, or an answer whose GraphQL error says RATELIMITED: wait for the reset the headers name."""
    limited = response.status_code == 429
    if not limited and response.status_code in (200, 400):
        try:
            limited = "RATELIMITED" in _codes(response.json())
        except ValueError:
            limited = False
    if not limited:
        return None
    wait = retry_after(response)
    reset = response.headers.get("x-ratelimit-requests-reset")
    if wait is None and reset and reset.isdigit():
        wait = max(0.0, int(reset) / 1000 - time.time())
    return 60.0 if wait is None else wait


def description(item: TrackerItem) -> str:
    """The issue description in Markdown, linking back to the post-mortem."""
    source = f"[{item.incident_id}: {item.incident_title}]({item.link})" if item.link else item.incident_id
    details = [f"type {item.type}"] if item.type else []
    details += [f"owner {item.owner}"] if item.owner else []
    text = f"Action item **{item.action_id}** from the post-mortem of {source}."
    if details:
        text += f" ({', '.join(details)})"
    return text + "\n\nTracked by afteraction: completing this issue marks the action item done."


class LinearTracker:
    """Linear issues of one team, through the GraphQL API with a personal API key."""

    name = "linear"

    def __init__(self, settings: Settings, *, sleep: Sleep = time.sleep) -> None:
        require(settings, "linear", "linear_token", "linear_team")
        assert settings.linear_token and settings.linear_team
        self.team = settings.linear_team.strip()
        self.endpoint = settings.linear_api_url
        self.http = HttpClient(
            "Linear",
            headers={"Authorization": settings.linear_token.get_secret_value(), "Content-Type": "application/json"},
            timeout=settings.outbound_timeout,
            max_wait=settings.tracker_max_wait,
            auth_hint="AFTERACTION_LINEAR_TOKEN",
            rate_limit=linear_rate_limit,
            sleep=sleep,
        )
        self._team_id: str | None = None
        self._users: dict[str, str | None] = {}

    def _graphql(self, query: str, variables: dict[str, Any], *, missing_ok: bool = False) -> dict[str, Any] | None:
        response = self.http.request(
            "POST", self.endpoint, json_body={"query": query, "variables": variables}, accept_errors=(400,)
        )
        body = self.http.json(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            codes = _codes(body)
            message = str(errors[0].get("message", "error")) if isinstance(errors[0], dict) else str(errors[0])
            if any(code in ("AUTHENTICATION_ERROR", "FORBIDDEN") for code in codes):
                raise TrackerAuthError(f"Linear refused the credentials ({message}): check AFTERACTION_LINEAR_TOKEN")
            if missing_ok and "not found" in message.lower():
                return None
            raise TrackerError(f"Linear answered {response.status_code}: {message}")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise TrackerError("Linear answered without data")
        return data

    def team_id(self) -> str:
        """The id of AFTERACTION_LINEAR_TEAM, looked up by key unless it is an id already."""
        if self._team_id is None:
            if _UUID.match(self.team):
                self._team_id = self.team
            else:
                data = self._graphql(TEAM_QUERY, {"key": self.team}) or {}
                nodes = (data.get("teams") or {}).get("nodes") or []
                if not nodes:
                    raise ConfigurationError(f"Linear has no team with key {self.team!r} (AFTERACTION_LINEAR_TEAM)")
                self._team_id = str(nodes[0]["id"])
        return self._team_id

    def user_id(self, email: str) -> str | None:
        """The id of the Linear user with this e-mail address."""
        key = email.lower()
        if key not in self._users:
            data = self._graphql(USER_QUERY, {"email": email}) or {}
            nodes = (data.get("users") or {}).get("nodes") or []
            self._users[key] = str(nodes[0]["id"]) if nodes else None
        return self._users[key]

    @staticmethod
    def issue_id(marker: str) -> str:
        """The issue id afteraction gives Linear for a marker, so a repeated create is recognised."""
        return str(uuid.UUID(hex=marker))

    def create(self, item: TrackerItem) -> TrackerIssue:
        """Create the issue (`issueCreate`) with an id derived from the marker."""
        payload: dict[str, Any] = {
            "id": self.issue_id(item.marker),
            "teamId": self.team_id(),
            "title": item.title,
            "description": description(item),
        }
        if item.due:
            payload["dueDate"] = item.due.isoformat()
        if item.priority in PRIORITIES:
            payload["priority"] = PRIORITIES[item.priority]
        assignee = self.user_id(item.owner_email) if item.owner_email else None
        if assignee:
            payload["assigneeId"] = assignee
        data = self._graphql(CREATE_MUTATION, {"input": payload}) or {}
        result = data.get("issueCreate") or {}
        issue = result.get("issue") or {}
        if not result.get("success") or not issue.get("identifier"):
            raise TrackerError("Linear did not create the issue")
        return TrackerIssue(key=str(issue["identifier"]), url=issue.get("url"))

    def find(self, item: TrackerItem) -> TrackerIssue | None:
        """The issue created with the marker's id, if an interrupted create made it."""
        data = self._graphql(ISSUE_QUERY, {"id": self.issue_id(item.marker)}, missing_ok=True)
        issue = (data or {}).get("issue")
        return TrackerIssue(key=str(issue["identifier"]), url=issue.get("url")) if issue else None

    def fetch_status(self, key: str) -> RemoteStatus:
        """A state of type completed is done, canceled is wont-do, started is in progress."""
        data = self._graphql(ISSUE_QUERY, {"id": key}) or {}
        state = (data.get("issue") or {}).get("state") or {}
        kind, name = str(state.get("type", "unstarted")), str(state.get("name") or state.get("type", ""))
        mapping = {"completed": "done", "canceled": "wont-do", "started": "in-progress"}
        return RemoteStatus(mapping.get(kind, "open"), name)  # type: ignore[arg-type]

    def update(self, key: str, item: TrackerItem) -> None:
        """Push the title and due date (`issueUpdate`)."""
        payload = {"title": item.title, "dueDate": item.due.isoformat() if item.due else None}
        data = self._graphql(UPDATE_MUTATION, {"id": key, "input": payload}) or {}
        if not (data.get("issueUpdate") or {}).get("success"):
            raise TrackerError(f"Linear did not update {key}")

    def close(self) -> None:
        """Close the connections."""
        self.http.close()
