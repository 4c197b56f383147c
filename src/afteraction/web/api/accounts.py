"""Accounts: who am I, sign in for a token (throttled), my tokens; users, their passwords and settings for admins."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from afteraction.accounts import service
from afteraction.accounts.schemas import NewToken, TokenView, UserView
from afteraction.core.db import utcnow
from afteraction.core.errors import NotAuthenticated
from afteraction.web.api.common import RowId, Text, UserName, UtcTime
from afteraction.web.deps import Admin, AppSettings, Db, Viewer, hashing, password_sign_in, public
from afteraction.web.errors import problem_responses

router = APIRouter(tags=["accounts"])

TokenName = Annotated[Text, Field(min_length=1, max_length=100)]
Role = Annotated[str, Field(pattern="^(viewer|editor|admin)$")]


class Me(BaseModel):
    """The user a request acts as."""

    name: str
    role: str


class Expiry(BaseModel):
    """When a new token stops working: after `expires_in_days`, or at `expires_at`; neither: when it is revoked."""

    expires_in_days: Annotated[int | None, Field(ge=1, le=service.MAX_TOKEN_DAYS)] = None
    expires_at: UtcTime | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Expiry:
        if self.expires_in_days is not None and self.expires_at is not None:
            raise ValueError("give expires_in_days or expires_at, not both")
        return self

    def expiry(self) -> datetime | None:
        """The expiry time asked for, or None."""
        if self.expires_in_days is not None:
            return utcnow() + timedelta(days=self.expires_in_days)
        return self.expires_at


class SignIn(Expiry):
    """A user name and password, exchanged for a new API token (with an optional expiry)."""

    model_config = ConfigDict(extra="forbid")

    username: Annotated[Text, Field(min_length=1, max_length=100)]
    password: Annotated[Text, Field(min_length=1, max_length=1000)]
    token_name: TokenName = "api"


class TokenIn(Expiry):
    """A name for a new token of the signed-in user (say where it is used), with an optional expiry."""

    model_config = ConfigDict(extra="forbid")

    name: TokenName = "api"


class PasswordIn(BaseModel):
    """A user's new password."""

    model_config = ConfigDict(extra="forbid")

    password: Annotated[Text, Field(min_length=service.MIN_PASSWORD, max_length=service.MAX_PASSWORD)]


class UserIn(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(min_length=1, max_length=100)]
    email: Annotated[Text, Field(min_length=3, max_length=320)]
    role: Role = "viewer"
    password: Annotated[Text, Field(min_length=8, max_length=1000)]


class UserPatch(BaseModel):
    """A new role for a user, or their deactivation (their tokens stop working); either ends their sessions."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    active: bool | None = None


class ServerSettings(BaseModel):
    """The server's settings as admins may see them (never the secrets themselves)."""

    severities: list[str]
    max_body_bytes: int
    max_upload_bytes: int
    webhooks: dict[str, bool] = Field(description="Whether each webhook receiver has its secret configured.")


@router.get("/me", response_model=Me)
async def me(user: Viewer) -> Me:
    """The signed-in user and their role."""
    return Me(name=user.name, role=user.role)


@router.post(
    "/auth/token",
    response_model=NewToken,
    status_code=status.HTTP_201_CREATED,
    dependencies=[public],
    responses=problem_responses(429),
)
async def sign_in(body: SignIn, request: Request, db: Db) -> NewToken:
    """Exchange a user name and password for a new API token (shown once). Throttled: after a few failures of a
    name (or many from an address) each try must wait, doubling per failure: 429 with `Retry-After`."""
    expires_at = body.expiry()
    result = await password_sign_in(request, body.username, body.password)
    if result.actor is None:
        raise NotAuthenticated("wrong user name or password")
    name = result.actor.name
    return await run_in_threadpool(
        lambda: service.create_token(db, user=name, name=body.token_name, expires_at=expires_at)
    )


@router.get("/tokens", response_model=list[TokenView])
def my_tokens(user: Viewer, db: Db) -> list[TokenView]:
    """The signed-in user's tokens with their expiry and last use (never the secrets)."""
    return service.list_tokens(db, user=user.name)


@router.post("/tokens", response_model=NewToken, status_code=status.HTTP_201_CREATED)
def new_token(body: TokenIn, user: Viewer, db: Db) -> NewToken:
    """A new token for the signed-in user, shown once; `expires_in_days` or `expires_at` limit its life."""
    return service.create_token(db, user=user.name, name=body.name, expires_at=body.expiry())


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: RowId, user: Viewer, db: Db) -> Response:
    """Revoke one of the signed-in user's tokens (admins: anyone's)."""
    service.revoke_token(db, token_id=token_id, user=None if user.is_admin else user.name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users", response_model=list[UserView])
def list_users(user: Admin, db: Db) -> list[UserView]:
    """Every user (admins only)."""
    return service.list_users(db)


@router.post("/users", response_model=UserView, status_code=status.HTTP_201_CREATED)
async def create_user(body: UserIn, request: Request, user: Admin, db: Db) -> UserView:
    """Add a user (admins only); a name that differs from an existing one only in case is taken (409)."""
    return await hashing(
        request, lambda: service.create_user(db, name=body.name, email=body.email, role=body.role,
                                             password=body.password)
    )  # fmt: skip


@router.patch("/users/{name}", response_model=UserView)
def update_user(name: UserName, body: UserPatch, user: Admin, db: Db) -> UserView:
    """Change a user's role or deactivate them (admins only); either ends every session of the user."""
    return service.update_user(db, name=name, role=body.role, active=body.active)


@router.put("/users/{name}/password", status_code=status.HTTP_204_NO_CONTENT)
async def reset_password(name: UserName, body: PasswordIn, request: Request, user: Admin, db: Db) -> Response:
    """Give a user a new password (admins only): every session of the user ends; their API tokens keep working
    (revoke them with DELETE /tokens/{id})."""
    await hashing(request, lambda: service.change_password(db, name=name, password=body.password))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/settings", response_model=ServerSettings)
async def server_settings(user: Admin, settings: AppSettings) -> ServerSettings:
    """The server's settings (admins only); secrets show only whether they are set."""
    return ServerSettings(
        severities=list(settings.severities),
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        webhooks={
            "alertmanager": settings.webhook_secret is not None,
            "grafana": settings.webhook_secret is not None,
            "opsgenie": settings.webhook_secret is not None,
            "pagerduty": settings.pagerduty_webhook_secret is not None,
        },
    )
