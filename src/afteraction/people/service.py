"""The directory of people: the one rule that finds a person from what someone typed (a name, an e-mail or a handle),
and listing, adding, changing and merging people.

Owners, authors, reviewers and commenters are people. `find_person` is used wherever a face takes a person: an exact
name, e-mail or handle (the account they sign in with, their Slack id or GitHub login) is that person; otherwise a
word of one person's name ("rita" for "Rita Gomez") is; a text that matches several is refused naming them; a name
that matches nobody is added to the directory when the caller allows it (documents, owners typed in), else refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import and_, delete, func, or_, select, table, update
from sqlalchemy import column as sa_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afteraction.accounts.models import User
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import Conflict, DatabaseUnavailable, InvalidInput, NotFound
from afteraction.people.models import Person

log = logging.getLogger(__name__)

PERSON_NAME_MAX = 200  # people.name
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HANDLE = re.compile(r"^@?[A-Za-z0-9][A-Za-z0-9._-]*$")


class PersonView(BaseModel):
    """A person as every face shows them (`people list --json`, `GET /api/v1/people`)."""

    id: int
    name: str
    email: str | None = None
    slack_id: str | None = None
    github_login: str | None = None
    jira_account_id: str | None = None
    team: str | None = None
    account: str | None = None  # the account they sign in with
    notify_email: bool = True
    notify_slack: bool = True


class PersonChanges(BaseModel):
    """Fields to change on a person; None leaves a field as it is, "" clears it."""

    name: str | None = None
    email: str | None = None
    slack_id: str | None = None
    github_login: str | None = None
    jira_account_id: str | None = None
    team: str | None = None
    account: str | None = None
    notify_email: bool | None = None
    notify_slack: bool | None = None


@dataclass(frozen=True, slots=True)
class Found:
    """A person found from a text, and whether the directory gained them just now."""

    person: Person
    added: bool = False


def view_of(session: Session, person: Person) -> PersonView:
    """The person with the name of their account."""
    account = session.get(User, person.user_id).name if person.user_id else None  # type: ignore[union-attr]
    return PersonView(
        id=person.id, name=person.name, email=person.email, slack_id=person.slack_id,
        github_login=person.github_login, jira_account_id=person.jira_account_id, team=person.team,
        account=account, notify_email=person.notify_email, notify_slack=person.notify_slack,
    )  # fmt: skip


def _clean_name(text: str) -> str:
    clean = " ".join(text.split())
    if not clean:
        raise InvalidInput("a person's name is empty", field="person")
    if len(clean) > PERSON_NAME_MAX:
        raise InvalidInput(f"a person's name is at most {PERSON_NAME_MAX} characters: {clean[:40]}…", field="person")
    return clean


def _matches(session: Session, text: str) -> list[Person]:
    """The people a text names, best kind of match first: exact name, e-mail or handle, else a word of the name."""
    clean = " ".join(text.split())
    low = clean.lower()
    handle = low.removeprefix("@")
    exact = session.scalars(select(Person).where(func.lower(Person.name) == func.lower(clean))).all()
    if exact:
        return list(exact)
    by_id = session.scalars(
        select(Person)
        .outerjoin(User, User.id == Person.user_id)
        .where(
            or_(
                func.lower(Person.email) == func.lower(clean),
                func.lower(User.name) == func.lower(handle),
                func.lower(User.email) == func.lower(clean),
                func.lower(Person.slack_id) == func.lower(handle),
                func.lower(Person.github_login) == func.lower(handle),
            )
        )
        .order_by(Person.id)
    ).all()
    if by_id:
        return list(dict.fromkeys(by_id))
    if " " in low or "@" in low or len(low) < 2:
        return []
    # a word of the name: "rita" is "Rita Gomez" (LIKE narrows, the word test decides)
    pattern = "%" + low.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    candidates = session.scalars(
        select(Person).where(func.lower(Person.name).like(pattern, escape="\\")).order_by(Person.name).limit(50)
    ).all()
    return [person for person in candidates if low in re.split(r"[\s,.()/-]+", person.name.lower())]


def find_person(session: Session, text: str, *, add: bool, field: str = "person") -> Found:
    """The person a name, e-mail or handle names (see the module's rule). Several matches are refused naming them;
    no match adds a person of that name when `add` (an e-mail or handle alone is never made a name), else is refused."""
    clean = _clean_name(text)
    found = _matches(session, clean)
    if not found:
        # an account not yet in the directory: its person, added now
        handle = clean.lower().removeprefix("@")
        user = session.scalar(
            select(User).where(
                or_(func.lower(User.name) == func.lower(handle), func.lower(User.email) == func.lower(clean))
            )
        )
        if user is not None:
            return Found(person_of_account(session, user), added=True)
    if len(found) == 1:
        return Found(found[0])
    if found:
        names = ", ".join(person.name for person in found[:5])
        raise InvalidInput(f"'{clean}' matches several people: {names}; give the full name or the e-mail", field=field)
    if not add or _EMAIL.match(clean) or (clean.startswith("@") and _HANDLE.match(clean)):
        raise InvalidInput(f"'{clean}' matches nobody in the directory of people", field=field)
    return Found(_insert(session, clean), added=True)


def _insert(session: Session, name: str, **fields: object) -> Person:
    """A new person, as an upsert: two writers adding the same name at once both get the one row."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(Person).values(name=name, **fields).on_conflict_do_nothing())
    person = session.scalars(select(Person).where(func.lower(Person.name) == func.lower(name))).one()
    return person


def get_or_create_person(session: Session, name: str) -> Person:
    """The person a name names (find_person), added to the directory on first mention."""
    return find_person(session, name, add=True).person


def person_of_account(session: Session, user: User) -> Person:
    """The person who signs in with an account, added to the directory (named as the account) on first use."""
    person = session.scalar(select(Person).where(Person.user_id == user.id))
    if person is None:
        person = session.scalar(select(Person).where(func.lower(Person.name) == func.lower(user.name)))
        if person is None:
            person = _insert(session, user.name, email=user.email)
        if person.user_id is None:
            person.user_id = user.id
            person.email = person.email or user.email
    return person


def person_of_actor(session: Session, actor: Actor) -> Person | None:
    """The person who acts: a signed-in user's person (added on first use), else the person the command line's
    acting name (--as) names, if the directory has exactly one."""
    if actor.user_id is not None:
        user = session.get(User, actor.user_id)
        return person_of_account(session, user) if user is not None else None
    try:
        return find_person(session, actor.name, add=False).person
    except InvalidInput:
        return None


def person_of_account_name(db: Database, name: str) -> int | None:
    """The id of the person who signs in with the account of that name, if the directory has them."""
    with db.transaction() as session:
        return session.scalar(
            select(Person.id).join(User, User.id == Person.user_id).where(func.lower(User.name) == func.lower(name))
        )


def _adopt_accounts(db: Database) -> None:
    """Everyone who signs in is in the directory: an active account without a person gets one (named as the
    account, or the person of that name), as on its first use. Only when one lacks it does listing write, in a
    transaction of its own; when another writer holds the database, the list is read as it is and the account joins
    on a later one (a read never fails for it). Two lists at once may both try: one adds it."""
    with db.transaction() as session:
        missing = session.scalars(
            select(User.id).outerjoin(Person, Person.user_id == User.id).where(Person.id.is_(None), User.active)
        ).all()
    if not missing:
        return
    try:
        with db.transaction() as session:
            for user in session.scalars(select(User).where(User.id.in_(missing))).all():
                try:
                    with session.begin_nested():
                        person_of_account(session, user)
                except IntegrityError:
                    continue
    except DatabaseUnavailable as exc:
        log.warning("accounts not added to the directory yet (%s): a later list adds them", exc)


def list_people(db: Database, *, team: str | None = None, query: str | None = None) -> list[PersonView]:
    """Everyone in the directory, by name; `team` and `query` (a part of the name, e-mail or handle) narrow it."""
    _adopt_accounts(db)
    with db.transaction() as session:
        stmt = select(Person).outerjoin(User, User.id == Person.user_id).order_by(func.lower(Person.name))
        if team:
            stmt = stmt.where(func.lower(Person.team) == func.lower(team.strip()))
        if query and query.strip():
            like = "%" + query.strip().lower().replace("%", "").replace("_", "") + "%"
            stmt = stmt.where(
                or_(func.lower(Person.name).like(like), func.lower(Person.email).like(like),
                    func.lower(User.name).like(like), func.lower(Person.github_login).like(like))
            )  # fmt: skip
        return [view_of(session, person) for person in session.scalars(stmt).all()]


def _apply(session: Session, person: Person, changes: PersonChanges) -> None:
    values = changes.model_dump(exclude_none=True)
    if "name" in values:
        name = _clean_name(values.pop("name"))
        other = session.scalar(
            select(Person).where(func.lower(Person.name) == func.lower(name), Person.id != person.id)
        )
        if other is not None:
            raise Conflict(f"someone is already named '{other.name}': merge the two instead")
        person.name = name
    if "email" in values:
        email = values.pop("email").strip()
        if email and not _EMAIL.match(email):
            raise InvalidInput(f"'{email}' is not an e-mail address", field="email")
        person.email = email or None
    if "account" in values:
        account = values.pop("account").strip()
        if not account:
            person.user_id = None
        else:
            user = session.scalar(select(User).where(func.lower(User.name) == func.lower(account)))
            if user is None:
                raise InvalidInput(f"no account named '{account}'", field="account")
            holder = session.scalar(select(Person).where(Person.user_id == user.id, Person.id != person.id))
            if holder is not None:
                raise Conflict(f"the account '{user.name}' is {holder.name}'s: merge the two instead")
            person.user_id = user.id
    for key, value in values.items():
        setattr(person, key, value.strip() or None if isinstance(value, str) else value)


def add_person(db: Database, *, name: str, changes: PersonChanges | None = None) -> PersonView:
    """A new person in the directory; a name taken (in any case) is refused."""
    with db.transaction() as session:
        clean = _clean_name(name)
        taken = session.scalar(select(Person).where(func.lower(Person.name) == func.lower(clean)))
        if taken is not None:
            raise Conflict(f"'{taken.name}' is already in the directory")
        person = Person(name=clean)
        session.add(person)
        session.flush()
        _apply(session, person, changes or PersonChanges())
        session.flush()
        return view_of(session, person)


def change_person(db: Database, *, who: str | int, changes: PersonChanges) -> PersonView:
    """Change a person found by name, e-mail or handle (or by id)."""
    with db.transaction() as session:
        person = require_person(session, who) if isinstance(who, int) else find_person(session, who, add=False).person
        _apply(session, person, changes)
        session.flush()
        return view_of(session, person)


# Every column that points at a person, and the columns it is unique with: merging moves them all to the person kept.
# tests/people checks that this covers every foreign key to people.id.
PERSON_REFERENCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("action_items", "owner_id", ()),
    ("postmortem_people", "person_id", ("postmortem_id", "role")),
    ("comments", "author_id", ()),
    ("comments", "resolved_by_id", ()),
    ("notifications", "person_id", ()),
    ("meeting_attendees", "person_id", ("meeting_id",)),
)


def merge_people(db: Database, *, keep: str, others: Sequence[str]) -> PersonView:
    """Merge people into one: everything that pointed at the others points at the person kept, who takes their
    e-mail, ids, team and account where they had none; the others leave the directory."""
    with db.transaction() as session:
        kept = find_person(session, keep, add=False).person
        gone = [find_person(session, other, add=False).person for other in others]
        gone = [person for person in dict.fromkeys(gone) if person.id != kept.id]
        if not gone:
            raise InvalidInput("name at least one other person to merge into the one kept", field="others")
        accounts = [person for person in (kept, *gone) if person.user_id is not None]
        if len(accounts) > 1:
            names = ", ".join(person.name for person in accounts)
            raise Conflict(f"{names} each sign in with an account of their own: a person has one account")
        for person in gone:
            for column in ("email", "slack_id", "github_login", "jira_account_id", "team"):
                if getattr(kept, column) is None and getattr(person, column) is not None:
                    setattr(kept, column, getattr(person, column))
            account, person.user_id = person.user_id, None
            session.flush()
            if kept.user_id is None and account is not None:
                kept.user_id = account
            for name, column, unique_with in PERSON_REFERENCES:
                _move_references(session, name, column, unique_with, person.id, kept.id)
            session.delete(person)
            session.flush()
        return view_of(session, kept)


def _move_references(
    session: Session, name: str, column: str, unique_with: tuple[str, ...], old: int, new: int
) -> None:
    """Point a column at the kept person; a row that would then repeat a row of the kept person is dropped."""
    rows = table(name, sa_column(column), *(sa_column(c) for c in unique_with))
    if unique_with:
        kept_rows = rows.alias("kept_rows")
        same = and_(kept_rows.c[column] == new, *(kept_rows.c[c] == rows.c[c] for c in unique_with))
        session.execute(
            delete(rows).where(rows.c[column] == old).where(select(kept_rows.c[column]).where(same).exists())
        )
    session.execute(update(rows).where(rows.c[column] == old).values({column: new}))


def require_person(session: Session, person_id: int) -> Person:
    """A person by id, or NotFound."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    return person
