"""A fake Linear: the GraphQL operations afteraction sends, checked against the schema's types as Linear does."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from tests.usecases.fake_http import Answer, FakeService, Request, json_answer

CREATE_INPUT = {"id", "teamId", "title", "description", "dueDate", "priority", "assigneeId", "stateId", "labelIds"}
UPDATE_INPUT = {"title", "dueDate", "priority", "assigneeId", "stateId", "description"}
ROOT = re.compile(r"^\s*(query|mutation)\s+\w+\s*(\([^)]*\))?\s*\{\s*(\w+)\s*\(", re.DOTALL)


def _error(message: str, code: str, status: int = 200, type_: str = "invalid input") -> Answer:
    extensions = {"type": type_, "code": code, "userPresentableMessage": message}
    return json_answer(status, {"errors": [{"message": message, "extensions": extensions}], "data": None})


class FakeLinear(FakeService):
    """One Linear workspace with a team ENG, two users and issues whose state a test can change."""

    def __init__(self, *, token: str = "lin_api_test") -> None:
        super().__init__()
        self.token = token
        self.team_id = str(uuid.uuid4())
        self.users = {"bo@example.com": str(uuid.uuid4()), "ann@example.com": str(uuid.uuid4())}
        self.issues: dict[str, dict[str, Any]] = {}

    def by_identifier(self, identifier: str) -> dict[str, Any]:
        """An issue by its identifier (ENG-1)."""
        return next(i for i in self.issues.values() if i["identifier"] == identifier)

    def set_state(self, identifier: str, type_: str, name: str) -> None:
        """Move an issue to a workflow state, as a user would."""
        self.by_identifier(identifier)["state"] = {"name": name, "type": type_}

    def handle(self, request: Request) -> Answer:
        """Answer one GraphQL request."""
        if request.method != "POST" or request.path != "/graphql":
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        if request.headers.get("authorization") != self.token:
            return _error("Authentication required, not authenticated", "AUTHENTICATION_ERROR", 400,
                          "authentication error")  # fmt: skip
        try:
            body = request.json()
        except ValueError:
            return _error("Unexpected token in JSON", "BAD_REQUEST", 400)
        query, variables = body.get("query"), body.get("variables") or {}
        if not isinstance(query, str) or not query.strip():
            return _error("Must provide query string.", "BAD_REQUEST", 400)
        match = ROOT.match(query)
        if not match:
            return _error("Syntax Error: Unexpected Name.", "GRAPHQL_PARSE_FAILED", 400)
        for name in re.findall(r"\$(\w+)\s*:\s*[\w\[\]]+!", match.group(2) or ""):
            if name not in variables:
                return _error(f'Variable "${name}" of required type was not provided.', "BAD_USER_INPUT", 400)
        field = match.group(3)
        handler = {
            ("query", "teams"): self._teams,
            ("query", "users"): self._users,
            ("query", "issue"): self._issue,
            ("mutation", "issueCreate"): self._create,
            ("mutation", "issueUpdate"): self._update,
        }.get((match.group(1), field))
        if handler is None:
            return _error(f'Cannot query field "{field}" on type "{match.group(1).title()}".',
                          "GRAPHQL_VALIDATION_FAILED", 400)  # fmt: skip
        return handler(query, variables)

    def _teams(self, query: str, variables: dict[str, Any]) -> Answer:
        nodes = [{"id": self.team_id, "key": "ENG"}] if variables.get("key") == "ENG" else []
        return json_answer(200, {"data": {"teams": {"nodes": nodes}}})

    def _users(self, query: str, variables: dict[str, Any]) -> Answer:
        email = str(variables.get("email", "")).lower()
        nodes = [{"id": self.users[email], "email": email}] if email in self.users else []
        return json_answer(200, {"data": {"users": {"nodes": nodes}}})

    def _view(self, issue: dict[str, Any]) -> dict[str, Any]:
        return {k: issue[k] for k in ("id", "identifier", "url", "state")}

    def _issue(self, query: str, variables: dict[str, Any]) -> Answer:
        wanted = str(variables["id"])
        for issue in self.issues.values():
            if wanted in (issue["id"], issue["identifier"]):
                return json_answer(200, {"data": {"issue": self._view(issue)}})
        return _error("Entity not found: Issue", "INVALID_INPUT")

    def _check(self, data: Any, allowed: set[str], type_name: str) -> Answer | None:
        if not isinstance(data, dict):
            return _error(f'Variable "$input" got invalid value; Expected type "{type_name}" to be an object.',
                          "BAD_USER_INPUT", 400)  # fmt: skip
        for key in data:
            if key not in allowed:
                return _error(f'Variable "$input" got invalid value; Field "{key}" is not defined by type '
                              f'"{type_name}".', "BAD_USER_INPUT", 400)  # fmt: skip
        if "title" in data and (not isinstance(data["title"], str) or not data["title"].strip()):
            return _error("Argument Validation Error: title should not be empty", "INVALID_INPUT")
        if data.get("dueDate") is not None:
            try:
                date.fromisoformat(data["dueDate"])
            except (TypeError, ValueError):
                return _error(f'Variable "$input" got invalid value {data["dueDate"]!r} at "input.dueDate"; '
                              'Expected type "TimelessDate".', "BAD_USER_INPUT", 400)  # fmt: skip
        if "priority" in data and data["priority"] not in (0, 1, 2, 3, 4):
            return _error("Argument Validation Error: priority must be between 0 and 4", "INVALID_INPUT")
        if data.get("assigneeId") is not None and data["assigneeId"] not in self.users.values():
            return _error("Entity not found: User", "INVALID_INPUT")
        return None

    def _create(self, query: str, variables: dict[str, Any]) -> Answer:
        data = variables["input"]
        problem = self._check(data, CREATE_INPUT, "IssueCreateInput")
        if problem:
            return problem
        if data.get("teamId") != self.team_id:
            return _error("Entity not found: Team", "INVALID_INPUT")
        issue_id = data.get("id") or str(uuid.uuid4())
        try:
            uuid.UUID(issue_id)
        except ValueError:
            return _error("Argument Validation Error: id must be a UUID", "INVALID_INPUT")
        if issue_id in self.issues:
            return _error("Entity already exists", "INVALID_INPUT")
        number = len(self.issues) + 1
        self.issues[issue_id] = {
            "id": issue_id,
            "identifier": f"ENG-{number}",
            "url": f"https://linear.app/acme/issue/ENG-{number}",
            "state": {"name": "Todo", "type": "unstarted"},
            **{k: v for k, v in data.items() if k != "id"},
        }
        return json_answer(200, {"data": {"issueCreate": {"success": True,
                                                          "issue": self._view(self.issues[issue_id])}}})  # fmt: skip

    def _update(self, query: str, variables: dict[str, Any]) -> Answer:
        problem = self._check(variables["input"], UPDATE_INPUT, "IssueUpdateInput")
        if problem:
            return problem
        for issue in self.issues.values():
            if variables["id"] in (issue["id"], issue["identifier"]):
                issue.update(variables["input"])
                return json_answer(200, {"data": {"issueUpdate": {"success": True}}})
        return _error("Entity not found: Issue", "INVALID_INPUT")
