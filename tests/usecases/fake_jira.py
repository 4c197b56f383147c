"""A fake Jira Cloud: the REST v3 subset afteraction uses, with Jira's own validation and error bodies."""

from __future__ import annotations

import base64
import re
from datetime import date
from typing import Any

from tests.usecases.fake_http import Answer, FakeService, Request, json_answer

PRIORITIES = {"Highest", "High", "Medium", "Low", "Lowest"}
ISSUE_TYPES = {"Task", "Bug", "Story"}
CREATE_FIELDS = {"project", "issuetype", "summary", "description", "duedate", "labels", "priority", "assignee"}
STATUSES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}


def _errors(errors: dict[str, str], status: int = 400) -> Answer:
    return json_answer(status, {"errorMessages": [], "errors": errors})


def _adf_problem(node: Any, top: bool = True) -> bool:
    """Whether a value is not an Atlassian Document (the subset: doc, paragraph, text, link marks)."""
    if top:
        if not isinstance(node, dict) or node.get("type") != "doc" or node.get("version") != 1:
            return True
        content = node.get("content")
        return not isinstance(content, list) or any(_adf_problem(child, False) for child in content)
    if not isinstance(node, dict):
        return True
    if node.get("type") == "paragraph":
        content = node.get("content", [])
        return not isinstance(content, list) or any(_adf_problem(child, False) for child in content)
    if node.get("type") == "text":
        if not isinstance(node.get("text"), str) or not node["text"]:
            return True
        for mark in node.get("marks", []):
            if mark.get("type") != "link" or not str((mark.get("attrs") or {}).get("href", "")).startswith("http"):
                return True
        return False
    return True


class FakeJira(FakeService):
    """Jira Cloud with one project, some users, and issues whose status a test can change."""

    def __init__(self, *, email: str = "bot@example.com", token: str = "jira-token", project: str = "OPS") -> None:
        super().__init__()
        self.auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
        self.project = project
        self.users = [
            {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Bo Chen", "emailAddress": "bo@example.com",
             "active": True},
            {"accountId": "5b109f2e9729b51b54dc274d", "displayName": "Mia Krystof", "active": True},
        ]  # fmt: skip
        self.issues: dict[str, dict[str, Any]] = {}

    def set_status(self, key: str, category: str, resolution: str | None = None) -> None:
        """Move an issue as a user would in Jira."""
        fields = self.issues[key]["fields"]
        fields["status"] = {"name": STATUSES[category], "statusCategory": {"key": category}}
        fields["resolution"] = {"name": resolution} if resolution else None

    def handle(self, request: Request) -> Answer:
        """Route a request the way Jira Cloud does."""
        if request.headers.get("authorization") != self.auth:
            return json_answer(401, {"errorMessages": ["You are not authenticated. Authentication required."]})
        path = request.path
        if path == "/rest/api/3/user/search" and request.method == "GET":
            query = request.query.get("query", "").lower()
            if not query:
                return json_answer(400, {"errorMessages": ["One of 'query', 'accountId' or 'property' is required."]})
            return json_answer(
                200,
                [u for u in self.users if query in str(u.get("emailAddress", "")).lower()
                 or query in u["displayName"].lower()],
            )  # fmt: skip
        if path == "/rest/api/3/issue" and request.method == "POST":
            return self._create(request)
        if path == "/rest/api/3/search/jql" and request.method == "GET":
            match = re.fullmatch(r'labels\s*=\s*"([^"]+)"', request.query.get("jql", "").strip())
            if not match:
                return json_answer(400, {"errorMessages": ["Error in the JQL Query: unexpected input."]})
            found = [i for i in self.issues.values() if match.group(1) in i["fields"]["labels"]]
            return json_answer(200, {"issues": [{"id": i["id"], "key": i["key"], "fields": {}} for i in found]})
        match = re.fullmatch(r"/rest/api/3/issue/([A-Z]+-\d+)", path)
        if match:
            issue = self.issues.get(match.group(1))
            if issue is None:
                message = "Issue does not exist or you do not have permission to see it."
                return json_answer(404, {"errorMessages": [message], "errors": {}})
            if request.method == "GET":
                return json_answer(200, issue)
            if request.method == "PUT":
                return self._edit(issue, request)
        return json_answer(404, {"errorMessages": ["null for uri: " + path]})

    def _check(self, fields: dict[str, Any], creating: bool) -> dict[str, str]:
        errors: dict[str, str] = {}
        for name in fields:
            if name not in CREATE_FIELDS:
                errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        if creating and (fields.get("project") or {}).get("key") != self.project:
            errors["project"] = "Specify a valid project ID or key"
        if creating and (fields.get("issuetype") or {}).get("name") not in ISSUE_TYPES:
            errors["issuetype"] = "Specify an issue type"
        summary = fields.get("summary", "" if creating else None)
        if summary is not None and (not isinstance(summary, str) or not summary.strip() or "\n" in summary):
            errors["summary"] = "You must specify a summary of the issue."
        if "description" in fields and _adf_problem(fields["description"]):
            errors["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        if fields.get("duedate") is not None:
            try:
                date.fromisoformat(fields["duedate"])
            except (TypeError, ValueError):
                errors["duedate"] = f"Error parsing date string: {fields['duedate']}"
        for label in fields.get("labels", []):
            if not isinstance(label, str) or " " in label or not label:
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."
        if "priority" in fields and (fields["priority"] or {}).get("name") not in PRIORITIES:
            errors["priority"] = "Specify the Priority (id or name) in the string format"
        if "assignee" in fields:
            wanted = (fields["assignee"] or {}).get("id")
            if wanted not in {u["accountId"] for u in self.users}:
                errors["assignee"] = "User does not exist or you do not have permission to see it."
        return errors

    def _create(self, request: Request) -> Answer:
        try:
            body = request.json()
        except ValueError:
            return json_answer(400, {"errorMessages": ["Unexpected character: was expecting a JSON value"]})
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return json_answer(400, {"errorMessages": ["Can not deserialize the issue: fields are missing"]})
        errors = self._check(fields, creating=True)
        if errors:
            return _errors(errors)
        number = len(self.issues) + 1
        key = f"{self.project}-{number}"
        self.issues[key] = {
            "id": str(10000 + number),
            "key": key,
            "self": f"{self.url}/rest/api/3/issue/{10000 + number}",
            "fields": {
                "summary": fields["summary"],
                "description": fields.get("description"),
                "duedate": fields.get("duedate"),
                "labels": list(fields.get("labels", [])),
                "priority": fields.get("priority"),
                "assignee": fields.get("assignee"),
                "status": {"name": "To Do", "statusCategory": {"key": "new"}},
                "resolution": None,
            },
        }
        return json_answer(201, {"id": str(10000 + number), "key": key, "self": self.issues[key]["self"]})

    def _edit(self, issue: dict[str, Any], request: Request) -> Answer:
        try:
            fields = request.json().get("fields", {})
        except (ValueError, AttributeError):
            return json_answer(400, {"errorMessages": ["Unexpected character: was expecting a JSON value"]})
        errors = self._check(fields, creating=False)
        if errors:
            return _errors(errors)
        issue["fields"].update(fields)
        return 204, {}, b""
