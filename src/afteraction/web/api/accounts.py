"""Accounts: who am I, sign in for a token, my tokens; users and settings for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from afteraction.accounts import service
from afteraction.accounts.schemas import NewToken, TokenView, UserView
from afteraction.core.errors import NotAuthenticated
from afteraction.web.api.common import RowId, Text, UserName
from afteraction.web.deps import Admin, AppSettings, Db, Viewer, public

router = APIRouter(tags=["accounts"])

TokenName = Annotated[Text, Field(min_length=1, max_length=100)]
Role = Annotated[str, Field(pattern="^(viewer|editor|admin)$")]


class Me(BaseModel):
    """The user a request acts as."""

    name: str
    role: str


class SignIn(BaseModel):
    """A user name and password, exchanged for a new API token."""

    model_config = ConfigDict(extra="forbid")

    username: Annotated[Text, Field(min_length=1, max_length=100)]
    password: Annotated[Text, Field(min_length=1, max_length=1000)]
    token_name: TokenName = "api"


class TokenIn(BaseModel):
    """A name for a new token of the signed-in user (say where it is used)."""

    model_config = ConfigDict(extra="forbid")

    name: TokenName = "api"


class UserIn(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(min_length=1, max_length=100)]
    email: Annotated[Text, Field(min_length=3, max_length=320)]
    role: Role = "viewer"
    password: Annotated[Text, Field(min_length=8, max_length=1000)]


class UserPatch(BaseModel):
    """A new role for a user, or their deactivation (their tokens stop working)."""

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


@router.post("/auth/token", response_model=NewToken, status_code=status.HTTP_201_CREATED, dependencies=[public])
async def sign_in(body: SignIn, db: Db) -> NewToken:
    """Exchange a user name and password for a new API token (shown once)."""
    principal = await run_in_threadpool(service.authenticate_password, db, name=body.username, password=body.password)
    if principal is None:
        raise NotAuthenticated("wrong user name or password")
    return await run_in_threadpool(service.create_token, db, user=principal.name, name=body.token_name)


@router.get("/tokens", response_model=list[TokenView])
def my_tokens(user: Viewer, db: Db) -> list[TokenView]:
    """The signed-in user's tokens (never the secrets)."""
    return service.list_tokens(db, user=user.name)


@router.post("/tokens", response_model=NewToken, status_code=status.HTTP_201_CREATED)
def new_token(body: TokenIn, user: Viewer, db: Db) -> NewToken:
    """A new token for the signed-in user, shown once."""
    return service.create_token(db, user=user.name, name=body.name)


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
def create_user(body: UserIn, user: Admin, db: Db) -> UserView:
    """Add a user (admins only)."""
    return service.create_user(db, name=body.name, email=body.email, role=body.role, password=body.password)


@router.patch("/users/{name}", response_model=UserView)
def update_user(name: UserName, body: UserPatch, user: Admin, db: Db) -> UserView:
    """Change a user's role or deactivate them (admins only)."""
    return service.update_user(db, name=name, role=body.role, active=body.active)


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
