"""Request-scoped dependencies: the database session and the authenticated principal.

Authorization is one dependency, ``require(...)``, declared in each route's signature, so a
reader sees who may call a route without opening its body.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from extender.accounts import service as accounts
from extender.accounts.audit import Actor
from extender.accounts.models import Organization, Role, User
from extender.config import Settings
from extender.errors import Forbidden, NotAuthenticated, NotFound

SESSION_USER = "uid"
SESSION_EPOCH = "epoch"
SESSION_CSRF = "csrf"


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """A session per request. Routes commit explicitly before they answer, so a client
    never sees a response for a change that is not yet durable."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
    finally:
        # close() rolls back anything uncommitted but, unlike rollback(), leaves loaded
        # attributes readable, so an error page can still show who is signed in.
        session.close()


DB = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass
class Principal:
    user: User
    via_token: bool = False
    client_address: str = "unknown"
    org: Organization | None = None
    roles: set[tuple[str, str]] = field(default_factory=set)

    @property
    def actor(self) -> Actor:
        return Actor(self.user.id, self.user.email, self.client_address)

    def has_role(self, role: Role | str, org_id: str | None = None) -> bool:
        value = role.value if isinstance(role, Role) else role
        return any(r == value and (org_id is None or o == org_id) for o, r in self.roles)

    def role_names(self) -> set[str]:
        return {r for _, r in self.roles}

    def orgs_with(self, role: Role) -> list[Organization]:
        seen: dict[str, Organization] = {}
        for m in self.user.memberships:
            if m.role == role.value:
                seen[m.organization_id] = m.organization
        return sorted(seen.values(), key=lambda o: o.name)


def _principal_from_user(user: User, request: Request, via_token: bool) -> Principal:
    principal = Principal(
        user=user,
        via_token=via_token,
        client_address=client_address(request),
        roles={(m.organization_id, m.role) for m in user.memberships},
    )
    request.state.principal = principal
    return principal


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def optional_principal(request: Request, db: DB) -> Principal | None:
    token = _bearer(request)
    if token is not None:
        user = accounts.user_for_api_token(db, token)
        if user is None:
            raise NotAuthenticated("the API token is invalid or revoked")
        if db.dirty:
            db.commit()  # keep last_used_at
        return _principal_from_user(user, request, via_token=True)
    user_id = request.session.get(SESSION_USER)
    if not user_id:
        return None
    user = db.get(User, user_id)
    if (
        user is None
        or not user.is_active
        or request.session.get(SESSION_EPOCH) != user.session_epoch
    ):
        request.session.pop(SESSION_USER, None)
        return None
    return _principal_from_user(user, request, via_token=False)


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


def current_principal(principal: MaybePrincipal) -> Principal:
    if principal is None:
        raise NotAuthenticated("sign in to continue")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role, org_param: str | None = None) -> Callable[..., Principal]:
    """A dependency allowing only users holding one of ``roles`` — in the organization named
    by the path parameter ``org_param`` when given, else in any organization."""
    allowed = {r.value for r in roles}

    def dependency(request: Request, principal: CurrentPrincipal, db: DB) -> Principal:
        if org_param is not None:
            slug = request.path_params.get(org_param, "")
            org = db.query(Organization).filter(Organization.slug == slug).one_or_none()
            if org is None:
                raise NotFound(f"no organization with slug {slug}")
            if not any(principal.has_role(r, org.id) for r in allowed):
                raise Forbidden(f"this needs the role {' or '.join(sorted(allowed))} in {slug}")
            principal.org = org
            return principal
        if not any(principal.has_role(r) for r in allowed):
            raise Forbidden(f"this needs the role {' or '.join(sorted(allowed))}")
        return principal

    dependency.required_roles = frozenset(allowed)  # type: ignore[attr-defined]
    dependency.org_param = org_param  # type: ignore[attr-defined]
    return dependency


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return str(token)


SESSION_COOKIE = "extender_session"
API_PREFIXES = ("/api/", "/fhir/")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def csrf_protect(request: Request) -> None:
    """Refuse an unsafe request carrying the session cookie but not its CSRF token.

    Requests authenticated by a bearer token are exempt: a browser never attaches one on its
    own, so a forged cross-site request cannot carry it."""
    if request.method not in UNSAFE_METHODS or _bearer(request) is not None:
        return
    if request.url.path.startswith(API_PREFIXES) and SESSION_COOKIE not in request.cookies:
        return  # no session to ride on; authentication will refuse it with 401
    expected = request.session.get(SESSION_CSRF)
    sent: Any = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        sent = form.get("csrf_token")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise Forbidden(
            "the form's security token is missing or out of date; reload the page and try again"
        )


def start_session(request: Request, user: User) -> None:
    request.session.clear()
    request.session[SESSION_USER] = user.id
    request.session[SESSION_EPOCH] = user.session_epoch
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def end_session(request: Request) -> None:
    request.session.clear()
