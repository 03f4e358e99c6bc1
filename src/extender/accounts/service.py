"""Account rules: people, organizations, roles, sign-in with throttling, API tokens and
password reset. Plain functions taking a session; no HTTP here."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.accounts.models import (
    ApiToken,
    LoginFailure,
    Membership,
    Organization,
    OrgKind,
    OutboxMessage,
    PasswordResetToken,
    Role,
    User,
)
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound, TooManyRequests

_hasher = PasswordHasher()
# Verifying against this when the account does not exist keeps the response time the same,
# so timing does not reveal which emails have accounts.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MIN_PASSWORD_LENGTH = 10
RESET_TOKEN_LIFETIME = timedelta(hours=1)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- users -------------------------------------------------------------------------------


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    session: Session, actor: Actor, *, email: str, display_name: str, password: str
) -> User:
    email = normalize_email(email)
    if not EMAIL_RE.match(email):
        raise InvalidInput("email is not a valid address", field="email")
    if not display_name.strip():
        raise InvalidInput("display name is required", field="display_name")
    _check_password_strength(password)
    if find_user_by_email(session, email) is not None:
        raise Conflict(f"an account with email {email} already exists", field="email")
    user = User(
        email=email, display_name=display_name.strip(), password_hash=hash_password(password)
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        "user",
        user.id,
        after={"email": email, "display_name": user.display_name},
    )
    return user


def set_user_active(session: Session, actor: Actor, user_id: str, active: bool) -> User:
    user = get_user(session, user_id)
    before = {"is_active": user.is_active}
    user.is_active = active
    user.session_epoch += 1
    audit.record(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        "user",
        user.id,
        before=before,
        after={"is_active": active},
    )
    return user


def list_users(session: Session, query: str = "", limit: int = 200) -> list[User]:
    stmt = select(User).order_by(User.email).limit(limit)
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(
            func.lower(User.email).like(like) | func.lower(User.display_name).like(like)
        )
    return list(session.scalars(stmt))


# --- organizations and roles ------------------------------------------------------------


def create_organization(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    name: str,
    kind: str,
    city: str | None = None,
    state: str | None = None,
) -> Organization:
    if not SLUG_RE.match(slug):
        raise InvalidInput(
            "slug must be 2-63 lowercase letters, digits or dashes, "
            "starting with a letter or digit",
            field="slug",
        )
    if kind not in {k.value for k in OrgKind}:
        raise InvalidInput(
            f"kind must be one of: {', '.join(k.value for k in OrgKind)}", field="kind"
        )
    if not name.strip():
        raise InvalidInput("name is required", field="name")
    if session.scalar(select(Organization).where(Organization.slug == slug)) is not None:
        raise Conflict(f"an organization with slug {slug} already exists", field="slug")
    org = Organization(slug=slug, name=name.strip(), kind=kind, city=city, state=state)
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor,
        "organization.create",
        "organization",
        org.id,
        after={"slug": slug, "name": org.name, "kind": kind},
    )
    return org


def get_organization(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(f"no organization with slug {slug}")
    return org


def get_organization_by_id(session: Session, org_id: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound("no such organization")
    return org


def list_organizations(session: Session) -> list[Organization]:
    return list(session.scalars(select(Organization).order_by(Organization.name)))


def _parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(
            f"role must be one of: {', '.join(r.value for r in Role)}", field="role"
        ) from None


def grant_role(
    session: Session, actor: Actor, *, user: User, org: Organization, role: str
) -> Membership:
    parsed = _parse_role(role)
    existing = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.organization_id == org.id,
            Membership.role == parsed.value,
        )
    )
    if existing is not None:
        raise Conflict(f"{user.email} already has role {parsed.value} in {org.slug}", field="role")
    membership = Membership(user_id=user.id, organization_id=org.id, role=parsed.value)
    session.add(membership)
    session.flush()
    session.refresh(user)
    audit.record(
        session,
        actor,
        "membership.grant",
        "user",
        user.id,
        after={"organization": org.slug, "role": parsed.value},
    )
    return membership


def revoke_role(
    session: Session, actor: Actor, *, user: User, org: Organization, role: str
) -> None:
    parsed = _parse_role(role)
    membership = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.organization_id == org.id,
            Membership.role == parsed.value,
        )
    )
    if membership is None:
        raise NotFound(f"{user.email} has no role {parsed.value} in {org.slug}")
    session.delete(membership)
    session.flush()
    session.refresh(user)
    audit.record(
        session,
        actor,
        "membership.revoke",
        "user",
        user.id,
        before={"organization": org.slug, "role": parsed.value},
    )


def members_of(session: Session, org: Organization, role: Role | None = None) -> list[Membership]:
    stmt = select(Membership).where(Membership.organization_id == org.id)
    if role is not None:
        stmt = stmt.where(Membership.role == role.value)
    return list(session.scalars(stmt.order_by(Membership.role, Membership.id)))


# --- sign-in and throttling ---------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    max_per_account: int
    max_per_address: int
    window: timedelta


def _retry_after(
    session: Session,
    column: InstrumentedAttribute[str],
    value: str,
    limit: int,
    window: timedelta,
    now: datetime,
) -> int | None:
    times = list(
        session.scalars(
            select(LoginFailure.attempted_at)
            .where(column == value, LoginFailure.attempted_at > now - window)
            .order_by(LoginFailure.attempted_at.desc())
        )
    )
    if len(times) < limit:
        return None
    # The account unlocks when the limit-th most recent failure leaves the window.
    unlock = times[limit - 1] + window
    return max(1, int((unlock - now).total_seconds()) + 1)


def check_throttle(session: Session, throttle: Throttle, email: str, address: str) -> None:
    now = utcnow()
    email = normalize_email(email)
    waits = [
        _retry_after(
            session, LoginFailure.email, email, throttle.max_per_account, throttle.window, now
        ),
        _retry_after(
            session,
            LoginFailure.client_address,
            address,
            throttle.max_per_address,
            throttle.window,
            now,
        ),
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        minutes = (wait + 59) // 60
        at = (now + timedelta(seconds=wait)).strftime("%H:%M UTC")
        raise TooManyRequests(
            f"Too many failed sign-in attempts. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''} (after {at}).",
            retry_after=wait,
        )


def authenticate(
    session: Session, throttle: Throttle, *, email: str, password: str, address: str
) -> User | None:
    """Return the user, or None for any wrong email/password combination (one generic
    outcome, so the caller cannot tell which part was wrong). Raises TooManyRequests when
    the account or the address is throttled; the caller must commit either way so the
    failure is counted."""
    check_throttle(session, throttle, email, address)
    email = normalize_email(email)
    user = find_user_by_email(session, email)
    ok = _verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.is_active:
        session.add(LoginFailure(email=email, client_address=address))
        session.flush()
        return None
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def authenticate_password(user: User, password: str) -> bool:
    return _verify_password(user.password_hash, password)


def change_password(session: Session, actor: Actor, user: User, new_password: str) -> None:
    _check_password_strength(new_password)
    user.password_hash = hash_password(new_password)
    user.session_epoch += 1
    audit.record(session, actor, "user.password_change", "user", user.id)


# --- password reset -----------------------------------------------------------------------


def queue_mail(session: Session, *, to: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(to_address=to, subject=subject, body=body)
    session.add(message)
    session.flush()
    return message


def request_password_reset(session: Session, email: str, base_url: str) -> OutboxMessage | None:
    """Queue a reset link if the account exists. Callers show the same message either way."""
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        return None
    secret = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            user_id=user.id, token_hash=_digest(secret), expires_at=utcnow() + RESET_TOKEN_LIFETIME
        )
    )
    link = f"{base_url.rstrip('/')}/password-reset/{secret}"
    body = (
        f"Hello {user.display_name},\n\nSomeone asked to reset the password of your Extender "
        f"account. Open this link within one hour to choose a new password:\n\n{link}\n\n"
        "If it was not you, ignore this message; your password stays as it is.\n"
    )
    return queue_mail(session, to=user.email, subject="Reset your Extender password", body=body)


def _live_reset_token(session: Session, secret: str) -> PasswordResetToken:
    token = session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(secret))
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        raise InvalidInput("this reset link is invalid, used or expired; ask for a new one")
    return token


def check_reset_token(session: Session, secret: str) -> None:
    _live_reset_token(session, secret)


def complete_password_reset(session: Session, secret: str, new_password: str, address: str) -> User:
    token = _live_reset_token(session, secret)
    user = get_user(session, token.user_id)
    token.used_at = utcnow()
    change_password(session, Actor(user.id, user.email, address), user, new_password)
    session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
    return user


# --- API tokens ---------------------------------------------------------------------------

TOKEN_PREFIX = "ext_"


def create_api_token(session: Session, actor: Actor, user: User, name: str) -> tuple[ApiToken, str]:
    if not name.strip():
        raise InvalidInput("token name is required", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name.strip(), prefix=secret[:12], token_hash=_digest(secret)
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "api_token.create",
        "api_token",
        token.id,
        after={"name": token.name, "prefix": token.prefix, "user": user.email},
    )
    return token, secret


def user_for_api_token(session: Session, secret: str) -> User | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    # Minute resolution is enough to see whether a token is in use, and it spares a write on
    # every request a busy integration (or an exam-day candidate) makes.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return user


def list_api_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )


def revoke_api_token(session: Session, actor: Actor, user: User, token_id: str) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("no such token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor,
            "api_token.revoke",
            "api_token",
            token.id,
            before={"name": token.name, "prefix": token.prefix},
        )
