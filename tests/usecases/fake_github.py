"""A fake GitHub: the Issues REST subset afteraction uses, with GitHub's error bodies."""

from __future__ import annotations

import re
from typing import Any

from tests.usecases.fake_http import Answer, FakeService, Request, json_answer

DOCS = "https://docs.github.com/rest"


def _invalid(field: str, code: str, value: Any = None) -> Answer:
    error = {"resource": "Issue", "code": code, "field": field}
    if value is not None:
        error["value"] = value
    return json_answer(422, {"message": "Validation Failed", "errors": [error], "documentation_url": DOCS})


class FakeGitHub(FakeService):
    """One repository's issues; a test can close an issue as completed or not planned."""

    def __init__(self, *, token: str = "ghp_test", repo: str = "acme/shop", logins: tuple[str, ...] = ("bochen",)):
        super().__init__()
        self.token = token
        self.repo = repo
        self.logins = set(logins)
        self.issues: dict[int, dict[str, Any]] = {}

    def close_issue(self, number: int, reason: str = "completed") -> None:
        """Close an issue as a user would."""
        self.issues[number].update(state="closed", state_reason=reason)

    def handle(self, request: Request) -> Answer:
        """Route a request the way api.github.com does."""
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return json_answer(401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"})
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues(?:/(\d+))?", request.path)
        if not match or match.group(1) != self.repo:
            return json_answer(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})
        number = match.group(2)
        if number is None and request.method == "POST":
            return self._create(request)
        if number is None and request.method == "GET":
            return self._list(request.query)
        if number is not None and int(number) in self.issues:
            issue = self.issues[int(number)]
            if request.method == "GET":
                return json_answer(200, issue)
            if request.method == "PATCH":
                return self._edit(issue, request)
        return json_answer(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})

    def _body(self, request: Request) -> dict[str, Any] | Answer:
        try:
            body = request.json()
        except ValueError:
            return json_answer(400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
        if not isinstance(body, dict):
            return json_answer(400, {"message": "Body should be a JSON object", "documentation_url": DOCS})
        return body

    def _check(self, body: dict[str, Any], creating: bool) -> Answer | None:
        bad_title = not isinstance(body.get("title"), str) or not body["title"].strip()
        if (creating or "title" in body) and bad_title:
            return _invalid("title", "missing_field")
        if body.get("body") is not None and not isinstance(body["body"], str):
            return _invalid("body", "invalid", body["body"])
        labels = body.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(label, str) and label for label in labels):
            return _invalid("labels", "invalid", labels)
        for login in body.get("assignees", []):
            if login not in self.logins:
                return _invalid("assignees", "invalid", login)
        if "state" in body and body["state"] not in ("open", "closed"):
            return _invalid("state", "invalid", body["state"])
        return None

    def _create(self, request: Request) -> Answer:
        body = self._body(request)
        if not isinstance(body, dict):
            return body
        problem = self._check(body, creating=True)
        if problem:
            return problem
        number = len(self.issues) + 1
        self.issues[number] = {
            "number": number,
            "html_url": f"https://github.com/{self.repo}/issues/{number}",
            "title": body["title"],
            "body": body.get("body"),
            "state": "open",
            "state_reason": None,
            "labels": [{"name": label} for label in body.get("labels", [])],
            "assignees": [{"login": login} for login in body.get("assignees", [])],
        }
        return json_answer(201, self.issues[number])

    def _edit(self, issue: dict[str, Any], request: Request) -> Answer:
        body = self._body(request)
        if not isinstance(body, dict):
            return body
        problem = self._check(body, creating=False)
        if problem:
            return problem
        issue.update({k: v for k, v in body.items() if k in ("title", "body", "state")})
        return json_answer(200, issue)

    def _list(self, query: dict[str, str]) -> Answer:
        """`GET /repos/{owner}/{repo}/issues`: newest first, filtered by labels (all of them) and state, paged."""
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            return _invalid("state", "invalid", state)
        try:
            per_page, page = int(query.get("per_page", "30")), int(query.get("page", "1"))
        except ValueError:
            return json_answer(400, {"message": "Invalid page or per_page", "documentation_url": DOCS})
        wanted = {label for label in query.get("labels", "").split(",") if label}
        issues = [
            issue for issue in reversed(self.issues.values())
            if state in ("all", issue["state"]) and wanted <= {label["name"] for label in issue["labels"]}
        ]  # fmt: skip
        per_page = max(1, min(per_page, 100))
        return json_answer(200, issues[(page - 1) * per_page : page * per_page])
