"""Sign-in, password reset, the account page, and platform administration (organizations,
users, roles, audit log), as HTML pages and as JSON under /api/v1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from extender.accounts import audit
from extender.accounts import service as accounts
from extender.accounts.models import ORG_KIND_LABELS, ROLE_LABELS, Organization, Role
from extender.accounts.schemas import (
    AuditEventOut,
    AuditPage,
    MembershipIn,
    MembershipOut,
    MeOut,
    OrganizationIn,
    OrganizationOut,
)
from extender.errors import InvalidInput, NotFound, TooManyRequests
from extender.web.deps import (
    DB,
    AppSettings,
    CurrentPrincipal,
    MaybePrincipal,
    Principal,
    client_address,
    end_session,
    require,
    start_session,
)
from extender.web.templating import flash, render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["accounts"])

PlatformAdmin = Annotated[Principal, Depends(require(Role.PLATFORM_ADMIN))]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/dashboard"


def _throttle(settings: AppSettings) -> accounts.Throttle:
    return accounts.Throttle(
        max_per_account=settings.login_max_failures_per_account,
        max_per_address=settings.login_max_failures_per_address,
        window=timedelta(seconds=settings.login_window_seconds),
    )


# --- sign in / out ------------------------------------------------------------------------


@pages.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: MaybePrincipal, next: str | None = None) -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "accounts/login.html", None, {"next": next or "", "email": ""})


@pages.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: DB,
    settings: AppSettings,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "",
) -> Response:
    context = {"next": next, "email": email}
    try:
        user = accounts.authenticate(
            db,
            _throttle(settings),
            email=email,
            password=password,
            address=client_address(request),
        )
    except TooManyRequests as exc:
        response = render(
            request, "accounts/login.html", None, {**context, "error": exc.message}, status_code=429
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    db.commit()
    if user is None:
        return render(
            request,
            "accounts/login.html",
            None,
            {**context, "error": "That email and password do not match an account."},
            status_code=401,
        )
    start_session(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


@pages.post("/logout")
def logout(request: Request) -> Response:
    end_session(request)
    flash(request, "You are signed out.")
    return RedirectResponse("/login", status_code=303)


# --- password reset -----------------------------------------------------------------------

RESET_SENT = (
    "If an account exists for that address, we have sent it a link to choose a new "
    "password. The link works for one hour."
)


@pages.get("/password-reset", response_class=HTMLResponse)
def reset_request_page(request: Request) -> Response:
    return render(request, "accounts/reset_request.html", None, {})


@pages.post("/password-reset", response_class=HTMLResponse)
def reset_request(
    request: Request, db: DB, settings: AppSettings, email: Annotated[str, Form()]
) -> Response:
    message = accounts.request_password_reset(db, email, settings.base_url)
    db.commit()
    if message is not None:
        print(
            f"[outbox] to={message.to_address} subject={message.subject}\n{message.body}",
            flush=True,
        )
    return render(request, "accounts/reset_request.html", None, {"sent": RESET_SENT})


@pages.get("/password-reset/{token}", response_class=HTMLResponse)
def reset_page(request: Request, db: DB, token: str) -> Response:
    try:
        accounts.check_reset_token(db, token)
    except InvalidInput as exc:
        return render(
            request, "accounts/reset.html", None, {"invalid": exc.message}, status_code=400
        )
    return render(request, "accounts/reset.html", None, {"token": token})


@pages.post("/password-reset/{token}", response_class=HTMLResponse)
def reset(
    request: Request,
    db: DB,
    token: str,
    password: Annotated[str, Form()],
    confirm: Annotated[str, Form()],
) -> Response:
    if password != confirm:
        return render(
            request,
            "accounts/reset.html",
            None,
            {"token": token, "error": "The two passwords are not the same."},
            status_code=422,
        )
    try:
        accounts.complete_password_reset(db, token, password, client_address(request))
    except InvalidInput as exc:
        return render(
            request,
            "accounts/reset.html",
            None,
            {"token": token, "error": exc.message},
            status_code=422,
        )
    db.commit()
    flash(request, "Your password is changed. Sign in with the new one.")
    return RedirectResponse("/login", status_code=303)


# --- the account page: password and API tokens ---------------------------------------------


@pages.get("/account", response_class=HTMLResponse)
def account_page(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    tokens = accounts.list_api_tokens(db, principal.user)
    return render(
        request,
        "accounts/account.html",
        principal,
        {"tokens": tokens, "new_token": request.session.pop("new_token", None)},
    )


@pages.post("/account/tokens")
def create_token(
    request: Request, db: DB, principal: CurrentPrincipal, name: Annotated[str, Form()]
) -> Response:
    _, secret = accounts.create_api_token(db, principal.actor, principal.user, name)
    db.commit()
    request.session["new_token"] = secret
    return RedirectResponse("/account", status_code=303)


@pages.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, db: DB, principal: CurrentPrincipal, token_id: str) -> Response:
    accounts.revoke_api_token(db, principal.actor, principal.user, token_id)
    db.commit()
    flash(request, "Token revoked.")
    return RedirectResponse("/account", status_code=303)


@pages.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    current: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    if not accounts.authenticate_password(principal.user, current):
        tokens = accounts.list_api_tokens(db, principal.user)
        return render(
            request,
            "accounts/account.html",
            principal,
            {"tokens": tokens, "password_error": "Your current password is not right."},
            status_code=422,
        )
    accounts.change_password(db, principal.actor, principal.user, password)
    db.commit()
    start_session(request, principal.user)
    flash(request, "Password changed.")
    return RedirectResponse("/account", status_code=303)


# --- platform administration --------------------------------------------------------------


@pages.get("/admin/organizations", response_class=HTMLResponse)
def organizations_page(request: Request, db: DB, principal: PlatformAdmin) -> Response:
    return render(
        request,
        "accounts/organizations.html",
        principal,
        {"organizations": accounts.list_organizations(db), "kinds": ORG_KIND_LABELS},
    )


@pages.post("/admin/organizations")
def create_organization_form(
    request: Request,
    db: DB,
    principal: PlatformAdmin,
    slug: Annotated[str, Form()],
    name: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    city: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
) -> Response:
    org = accounts.create_organization(
        db,
        principal.actor,
        slug=slug.strip(),
        name=name,
        kind=kind,
        city=city or None,
        state=state.upper() or None,
    )
    db.commit()
    flash(request, f"Organization {org.name} created.")
    return RedirectResponse(f"/admin/organizations/{org.slug}", status_code=303)


@pages.get("/admin/organizations/{slug}", response_class=HTMLResponse)
def organization_page(request: Request, db: DB, principal: PlatformAdmin, slug: str) -> Response:
    org = accounts.get_organization(db, slug)
    return render(
        request,
        "accounts/organization.html",
        principal,
        {"org": org, "members": accounts.members_of(db, org), "roles": ROLE_LABELS},
    )


@pages.post("/admin/organizations/{slug}/members")
def grant_role_form(
    request: Request,
    db: DB,
    principal: PlatformAdmin,
    slug: str,
    email: Annotated[str, Form()],
    role: Annotated[str, Form()],
) -> Response:
    org = accounts.get_organization(db, slug)
    user = accounts.find_user_by_email(db, email)
    if user is None:
        raise NotFound(f"no account with email {email.strip()}")
    accounts.grant_role(db, principal.actor, user=user, org=org, role=role)
    db.commit()
    flash(request, f"{user.email} is now {ROLE_LABELS[Role(role)]} in {org.name}.")
    return RedirectResponse(f"/admin/organizations/{slug}", status_code=303)


@pages.post("/admin/organizations/{slug}/members/revoke")
def revoke_role_form(
    request: Request,
    db: DB,
    principal: PlatformAdmin,
    slug: str,
    user_id: Annotated[str, Form()],
    role: Annotated[str, Form()],
) -> Response:
    org = accounts.get_organization(db, slug)
    user = accounts.get_user(db, user_id)
    accounts.revoke_role(db, principal.actor, user=user, org=org, role=role)
    db.commit()
    flash(request, f"Removed role {role} from {user.email}.")
    return RedirectResponse(f"/admin/organizations/{slug}", status_code=303)


@pages.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: DB, principal: PlatformAdmin, q: str = "") -> Response:
    return render(
        request, "accounts/users.html", principal, {"users": accounts.list_users(db, q), "q": q}
    )


@pages.post("/admin/users")
def create_user_form(
    request: Request,
    db: DB,
    principal: PlatformAdmin,
    email: Annotated[str, Form()],
    display_name: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    user = accounts.create_user(
        db, principal.actor, email=email, display_name=display_name, password=password
    )
    db.commit()
    flash(request, f"Account {user.email} created.")
    return RedirectResponse("/admin/users", status_code=303)


@pages.post("/admin/users/{user_id}/active")
def set_active_form(
    request: Request,
    db: DB,
    principal: PlatformAdmin,
    user_id: str,
    active: Annotated[str, Form()],
) -> Response:
    if user_id == principal.user.id:
        raise InvalidInput("you cannot deactivate your own account")
    user = accounts.set_user_active(db, principal.actor, user_id, active == "1")
    db.commit()
    flash(request, f"{user.email} is now {'active' if user.is_active else 'deactivated'}.")
    return RedirectResponse("/admin/users", status_code=303)


def _parse_day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{name} must be a date like 2026-11-25", field=name) from None


def _audit_filter(
    actor: str | None,
    action: str | None,
    target_type: str | None,
    target_id: str | None,
    since: str | None,
    until: str | None,
) -> audit.AuditFilter:
    until_dt = _parse_day(until, "until")
    return audit.AuditFilter(
        actor=actor or None,
        action=action or None,
        target_type=target_type or None,
        target_id=target_id or None,
        since=_parse_day(since, "since"),
        until=until_dt + timedelta(days=1) if until_dt else None,
    )


@pages.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    db: DB,
    principal: PlatformAdmin,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    flt = _audit_filter(actor, action, target_type, target_id, since, until)
    per_page = 50
    events, total = audit.search(db, flt, limit=per_page, offset=(page - 1) * per_page)
    return render(
        request,
        "accounts/audit.html",
        principal,
        {
            "events": events,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // per_page)),
            "actions": audit.distinct_actions(db),
            "target_types": audit.distinct_target_types(db),
            "f": {
                "actor": actor or "",
                "action": action or "",
                "target_type": target_type or "",
                "target_id": target_id or "",
                "since": since or "",
                "until": until or "",
            },
        },
    )


# --- JSON API -------------------------------------------------------------------------------


@api.get("/me", response_model=MeOut, summary="The signed-in user and their roles")
def me(principal: CurrentPrincipal) -> MeOut:
    return MeOut(
        id=principal.user.id,
        email=principal.user.email,
        display_name=principal.user.display_name,
        memberships=[
            MembershipOut(
                organization=m.organization.slug, organization_name=m.organization.name, role=m.role
            )
            for m in principal.user.memberships
        ],
    )


def _org_out(org: Organization) -> OrganizationOut:
    return OrganizationOut(
        slug=org.slug, name=org.name, kind=org.kind, city=org.city, state=org.state
    )


@api.get("/organizations", response_model=list[OrganizationOut], summary="All organizations")
def list_organizations(db: DB, principal: PlatformAdmin) -> list[OrganizationOut]:
    return [_org_out(o) for o in accounts.list_organizations(db)]


@api.post(
    "/organizations",
    response_model=OrganizationOut,
    status_code=201,
    summary="Create an organization (platform admin)",
)
def create_organization(body: OrganizationIn, db: DB, principal: PlatformAdmin) -> OrganizationOut:
    org = accounts.create_organization(
        db,
        principal.actor,
        slug=body.slug,
        name=body.name,
        kind=body.kind,
        city=body.city,
        state=body.state,
    )
    db.commit()
    return _org_out(org)


@api.post(
    "/organizations/{slug}/memberships",
    response_model=MembershipOut,
    status_code=201,
    summary="Grant a role in an organization (platform admin)",
)
def grant_membership(
    slug: str, body: MembershipIn, db: DB, principal: PlatformAdmin
) -> MembershipOut:
    org = accounts.get_organization(db, slug)
    user = accounts.find_user_by_email(db, body.email)
    if user is None:
        raise NotFound(f"no account with email {body.email}", field="email")
    accounts.grant_role(db, principal.actor, user=user, org=org, role=body.role)
    db.commit()
    return MembershipOut(organization=org.slug, organization_name=org.name, role=body.role)


@api.get("/audit", response_model=AuditPage, summary="Search the audit log (platform admin)")
def audit_api(
    db: DB,
    principal: PlatformAdmin,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    flt = _audit_filter(actor, action, target_type, target_id, since, until)
    events, total = audit.search(db, flt, limit=limit, offset=offset)
    return AuditPage(
        total=total, items=[AuditEventOut.model_validate(e, from_attributes=True) for e in events]
    )
