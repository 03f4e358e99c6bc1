"""Walks every route with every role and checks allowed/denied against the table below.

A new route without an entry here fails the test, so nobody adds a route without deciding
who may call it."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.conftest import World, csrf_of, login

PUBLIC = "public"
SIGNED_IN = "signed-in"
ADMIN = {"platform_admin"}
PROGRAM_STAFF = {"instructor", "program_admin"}
LEARNERS = {"learner", "other_learner"}
CRED_STAFF = {"program_admin", "platform_admin", "other_admin"}

EXPECTED: dict[tuple[str, str], str | set[str]] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("POST", "/bench/ceiling"): PUBLIC,  # 404 unless EXTENDER_BENCH_ENDPOINTS=1
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/password-reset"): PUBLIC,
    ("POST", "/password-reset"): PUBLIC,
    ("GET", "/password-reset/{token}"): PUBLIC,
    ("POST", "/password-reset/{token}"): PUBLIC,
    ("GET", "/tracks"): PUBLIC,
    ("GET", "/tracks/{code}"): PUBLIC,
    ("GET", "/api/v1/tracks"): PUBLIC,
    ("GET", "/api/v1/tracks/{code}"): PUBLIC,
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account/tokens"): SIGNED_IN,
    ("POST", "/account/tokens/{token_id}/revoke"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/dashboard"): SIGNED_IN,
    ("GET", "/dashboard/learner"): {"learner", "other_learner"},
    ("GET", "/dashboard/program"): PROGRAM_STAFF | {"other_admin"},
    ("GET", "/dashboard/psychometrics"): {"psychometrician"},
    ("GET", "/dashboard/proctor"): {"proctor"},
    ("GET", "/dashboard/recruiter"): {"employer_recruiter"},
    ("GET", "/dashboard/admin"): ADMIN,
    ("GET", "/admin/organizations"): ADMIN,
    ("POST", "/admin/organizations"): ADMIN,
    ("GET", "/admin/organizations/{slug}"): ADMIN,
    ("POST", "/admin/organizations/{slug}/members"): ADMIN,
    ("POST", "/admin/organizations/{slug}/members/revoke"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/{user_id}/active"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/api/v1/organizations"): ADMIN,
    ("POST", "/api/v1/organizations"): ADMIN,
    ("POST", "/api/v1/organizations/{slug}/memberships"): ADMIN,
    ("GET", "/api/v1/audit"): ADMIN,
    # org-scoped: the cohort belongs to "academy"; other_admin runs a different program
    ("GET", "/programs/{org}/cohorts/{slug}"): PROGRAM_STAFF,
    ("POST", "/programs/{org}/cohorts/{slug}/enrollments"): PROGRAM_STAFF,
    # learning
    ("GET", "/learn"): LEARNERS,
    ("GET", "/learn/{track}/{module}/{lesson}"): LEARNERS,
    ("POST", "/learn/{track}/{module}/{lesson}/read"): LEARNERS,
    ("POST", "/learn/{track}/{module}/{lesson}/check"): LEARNERS,
    ("GET", "/learn/asset-link/{track_dir}/{module_dir}/{file}"): LEARNERS,
    ("GET", "/learn/assets/{track_dir}/{module_dir}/{file}"): PUBLIC,
    ("POST", "/cohorts/{slug}/join"): LEARNERS,
    ("POST", "/programs/{org}/cohorts/{slug}/enrollments/csv"): PROGRAM_STAFF,
    ("POST", "/programs/{org}/cohorts"): {"program_admin"},
    ("POST", "/programs/{org}/cohorts/{slug}/schedule"): {"program_admin"},
    ("GET", "/programs/{org}/cohorts/{slug}/dashboard"): PROGRAM_STAFF,
    ("GET", "/programs/{org}/cohorts/{slug}/dashboard.csv"): PROGRAM_STAFF,
    ("GET", "/programs/{org}/cohorts/{slug}/xapi.json"): PROGRAM_STAFF,
    # exams
    ("GET", "/exams"): LEARNERS,
    ("POST", "/exams/{track}/start"): LEARNERS,
    **{
        (m, f"/exams/sessions/{{exam_id}}{p}"): SIGNED_IN
        for m, p in [
            ("GET", ""),
            ("GET", "/items/{number}"),
            ("POST", "/items/{number}"),
            ("GET", "/review"),
            ("POST", "/submit"),
            ("GET", "/result"),
        ]
    },
    ("POST", "/api/v1/exams/sessions/{exam_id}/answers"): SIGNED_IN,
    ("GET", "/proctor/sessions"): {"proctor", "program_admin", "other_admin"},
    ("POST", "/proctor/sessions/{exam_id}/{action}"): {"proctor", "program_admin", "other_admin"},
    ("POST", "/programs/{org}/exam-eligibility"): {"program_admin"},
    ("GET", "/exams/admin/{track}"): {"psychometrician"},
    ("POST", "/exams/admin/{track}/blueprint"): {"psychometrician"},
    ("POST", "/exams/admin/{track}/forms"): {"psychometrician"},
    ("POST", "/exams/admin/forms/{form_id}/publish"): {"psychometrician"},
    ("POST", "/exams/admin/forms/{form_id}/scoring"): {"psychometrician"},
    ("POST", "/exams/admin/{track}/adaptive-forms"): {"psychometrician"},
    ("GET", "/exams/admin/forms/{form_id}/adaptive"): {"psychometrician"},
    ("POST", "/exams/admin/forms/{form_id}/retire"): {"psychometrician"},
    ("POST", "/exams/admin/items/{item_id}/status"): {"psychometrician"},
    ("GET", "/exams/admin/items/{item_id}"): {"psychometrician"},
    ("GET", "/exams/admin/{track}/calibrations"): {"psychometrician"},
    ("POST", "/exams/admin/{track}/calibrations"): {"psychometrician"},
    ("GET", "/exams/admin/calibrations/{run_id}"): {"psychometrician"},
    ("POST", "/exams/admin/calibrations/{run_id}/approve"): {"psychometrician"},
    ("POST", "/exams/admin/items/{item_id}"): {"psychometrician"},
    ("GET", "/exams/admin/forms/{form_id}/report"): {"psychometrician"},
    ("GET", "/exams/admin/forms/{form_id}/report.csv"): {"psychometrician"},
    ("POST", "/exams/admin/forms/{form_id}/report/statistics"): {"psychometrician"},
    ("GET", "/exams/admin/forms/{form_id}/angoff"): {"psychometrician"},
    ("POST", "/exams/admin/forms/{form_id}/angoff"): {"psychometrician"},
    ("POST", "/exams/admin/forms/{form_id}/angoff/adopt"): {"psychometrician"},
    # practicum: learners start scenarios; sandboxes answer 404 to everyone but their owner
    ("GET", "/practicum"): LEARNERS,
    ("POST", "/practicum/scenarios/{slug}/start"): LEARNERS,
    ("GET", "/practicum/attempts/{attempt_id}"): SIGNED_IN,
    ("GET", "/practicum/cohorts"): PROGRAM_STAFF | {"other_admin"},
    ("POST", "/practicum/workspaces/{workspace}/reset"): PROGRAM_STAFF | {"other_admin"},
    **{
        (m, f"/practicum/ws/{{workspace}}{p}"): SIGNED_IN
        for m, p in [
            ("GET", ""),
            ("POST", "/submit"),
            ("GET", "/patients"),
            ("GET", "/patients/{patient_id}"),
            ("GET", "/merges"),
            ("POST", "/merges"),
            ("POST", "/merges/{merge_id}/undo"),
            ("GET", "/users"),
            ("POST", "/users"),
            ("GET", "/audit"),
            ("POST", "/observations/{observation_id}"),
            ("GET", "/inbox"),
            ("GET", "/inbox.hl7"),
            ("POST", "/inbox/resource"),
        ]
    },
    # credentials
    ("GET", "/.well-known/jwks.json"): PUBLIC,
    ("GET", "/.well-known/did.json"): PUBLIC,
    ("GET", "/status/{list_id}"): PUBLIC,
    ("POST", "/api/v1/verify"): PUBLIC,
    ("GET", "/c/{slug}"): PUBLIC,
    ("GET", "/c/{slug}.json"): PUBLIC,
    ("GET", "/c/{slug}.jwt"): PUBLIC,
    ("GET", "/c/{slug}.pdf"): PUBLIC,
    ("GET", "/credentials"): SIGNED_IN,
    ("GET", "/credentials/transcript.json"): SIGNED_IN,
    ("POST", "/credentials/{credential_id}/share"): SIGNED_IN,
    ("POST", "/credentials/{credential_id}/unshare"): SIGNED_IN,
    ("GET", "/credentials/{credential_id}.json"): SIGNED_IN,
    ("GET", "/credentials/{credential_id}.jwt"): SIGNED_IN,
    ("GET", "/staff/credentials"): CRED_STAFF,
    ("POST", "/staff/credentials/{credential_id}/status"): CRED_STAFF,
    ("POST", "/staff/credentials/approvals/{approval_id}/{decision}"): CRED_STAFF,
    ("POST", "/staff/credentials/ce"): CRED_STAFF,
    ("POST", "/staff/credentials/issue-due"): CRED_STAFF,
    # placement
    ("GET", "/placement"): LEARNERS,
    ("GET", "/placement/search"): LEARNERS,
    ("GET", "/placement/opportunities/{opportunity_id}"): LEARNERS,
    ("GET", "/placement/profile"): LEARNERS,
    ("GET", "/placement/applications"): LEARNERS,
    ("GET", "/placement/applications/{application_id}"): LEARNERS,
    ("GET", "/api/v1/placement/recommendations"): LEARNERS,
    ("POST", "/placement/opportunities/{opportunity_id}/save"): LEARNERS,
    ("POST", "/placement/opportunities/{opportunity_id}/unsave"): LEARNERS,
    ("POST", "/placement/opportunities/{opportunity_id}/apply"): LEARNERS,
    ("POST", "/placement/profile"): LEARNERS,
    ("POST", "/placement/applications/{application_id}/stage"): LEARNERS,
    ("POST", "/placement/applications/{application_id}/messages"): LEARNERS,
    ("POST", "/api/v1/placement/opportunities/{opportunity_id}/applications"): LEARNERS,
    ("GET", "/placement/notifications"): SIGNED_IN,
    ("GET", "/api/v1/placement/opportunities"): SIGNED_IN,
    ("GET", "/api/v1/placement/opportunities/{opportunity_id}"): SIGNED_IN,
    ("POST", "/placement/notifications/read"): SIGNED_IN,
    ("GET", "/placement/recruiting"): {"employer_recruiter"},
    ("GET", "/placement/orgs/{slug}/opportunities"): {"employer_recruiter"},
    ("GET", "/placement/orgs/{slug}/opportunities/new"): {"employer_recruiter"},
    ("GET", "/placement/orgs/{slug}/opportunities/{opportunity_id}"): {"employer_recruiter"},
    ("GET", "/placement/orgs/{slug}/opportunities/{opportunity_id}/edit"): {"employer_recruiter"},
    ("GET", "/placement/orgs/{slug}/applications/{application_id}"): {"employer_recruiter"},
    ("GET", "/placement/orgs/{slug}/candidates/{user_id}"): {"employer_recruiter"},
    ("POST", "/placement/orgs/{slug}/opportunities"): {"employer_recruiter"},
    ("POST", "/placement/orgs/{slug}/opportunities/{opportunity_id}"): {"employer_recruiter"},
    ("POST", "/placement/orgs/{slug}/opportunities/{opportunity_id}/publish"): {
        "employer_recruiter"
    },
    ("POST", "/placement/orgs/{slug}/opportunities/{opportunity_id}/close"): {"employer_recruiter"},
    ("POST", "/placement/orgs/{slug}/applications/{application_id}/stage"): {"employer_recruiter"},
    ("POST", "/placement/orgs/{slug}/applications/{application_id}/messages"): {
        "employer_recruiter"
    },
    ("POST", "/api/v1/placement/orgs/{slug}/opportunities"): {"employer_recruiter"},
    # cohort match
    ("GET", "/programs/{org}/match"): PROGRAM_STAFF,
    ("POST", "/programs/{org}/match"): {"program_admin"},
    ("GET", "/programs/{org}/match/{round_id}"): PROGRAM_STAFF,
    ("POST", "/programs/{org}/match/{round_id}/opportunities"): {"program_admin"},
    ("POST", "/programs/{org}/match/{round_id}/opportunities/{opportunity_id}/remove"): {
        "program_admin"
    },
    ("POST", "/programs/{org}/match/{round_id}/learners"): {"program_admin"},
    ("POST", "/programs/{org}/match/{round_id}/learners/{user_id}/remove"): {"program_admin"},
    ("POST", "/programs/{org}/match/{round_id}/open"): {"program_admin"},
    ("POST", "/programs/{org}/match/{round_id}/run"): {"program_admin"},
    ("POST", "/programs/{org}/match/{round_id}/publish"): {"program_admin"},
    ("GET", "/match"): SIGNED_IN,
    ("GET", "/match/{round_id}"): LEARNERS,
    ("POST", "/match/{round_id}/ranks"): LEARNERS,
    ("POST", "/api/v1/match/{round_id}/ranks"): LEARNERS,
    ("GET", "/match/{round_id}/sites/{opportunity_id}"): {"employer_recruiter"},
    ("POST", "/match/{round_id}/sites/{opportunity_id}/ranks"): {"employer_recruiter"},
    **{
        (m, f"/fhir/{{workspace}}{p}"): SIGNED_IN
        for m, p in [
            ("GET", "/metadata"),
            ("POST", ""),
            ("GET", "/Patient/{rid}/$everything"),
            ("GET", "/{rtype}"),
            ("POST", "/{rtype}/_search"),
            ("POST", "/{rtype}"),
            ("GET", "/{rtype}/{rid}"),
            ("PUT", "/{rtype}/{rid}"),
            ("DELETE", "/{rtype}/{rid}"),
            ("GET", "/{rtype}/{rid}/_history"),
            ("GET", "/{rtype}/{rid}/_history/{vid}"),
        ]
    },
}

WHO = [
    "anonymous",
    "learner",
    "instructor",
    "proctor",
    "psychometrician",
    "program_admin",
    "employer_recruiter",
    "platform_admin",
    "other_learner",
    "other_admin",
]


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every endpoint. Newer FastAPI keeps included routers as wrappers
    that expose their effective routes; older versions flatten them into APIRoutes."""
    out: list[tuple[str, str]] = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            out.extend((m, route.path) for m in sorted(route.methods - {"HEAD"}))
        elif hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                out.extend((m, ctx.path) for m in sorted(set(ctx.methods) - {"HEAD"}))
    return out


def _fill(path: str, world: World) -> str:
    values = {
        "org": "academy",
        "code": "CPEHR",
        "token": "not-a-token",
        "token_id": "nope",
        "workspace": "nope",
        "attempt_id": "nope",
        "patient_id": "x",
        "merge_id": "1",
        "observation_id": "x",
        "rtype": "Patient",
        "rid": "x",
        "vid": "1",
        "track": "NOPE",
        "exam_id": "nope",
        "form_id": "nope",
        "run_id": "nope",
        "item_id": "nope",
        "number": "1",
        "action": "pause",
        "module": "m",
        "lesson": "l",
        "track_dir": "cpehr",
        "module_dir": "m",
        "file": "x.svg",
        "user_id": world.users["learner"].id,
        "round_id": "nope",
        "opportunity_id": "nope",
        "application_id": "nope",
        "list_id": "revocation-1",
        "credential_id": "nope",
        "approval_id": "nope",
        "decision": "approve",
        "slug": "cpehr-1"
        if path.startswith("/programs/")
        else ("no-such-scenario" if path.startswith("/practicum/") else "practice"),
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def test_every_route_has_a_declared_audience(app: FastAPI) -> None:
    missing = [r for r in _routes(app) if r not in EXPECTED]
    stale = [r for r in EXPECTED if r not in _routes(app)]
    assert missing == [], f"routes without an authorization entry: {missing}"
    assert stale == [], f"entries for routes that no longer exist: {stale}"


@pytest.mark.parametrize("who", WHO)
def test_it_allows_and_denies_each_route_by_role(app: FastAPI, world: World, who: str) -> None:
    with TestClient(app) as client:
        token = csrf_of(client) if who == "anonymous" else login(client, world.users[who].email)
        headers = {"X-CSRF-Token": token}
        failures = []
        for method, path in _routes(app):
            if (method, path) == ("POST", "/logout"):
                continue  # would end this client's session; covered in test_login
            expected = EXPECTED[(method, path)]
            url = _fill(path, world)
            response = client.request(method, url, headers=headers, follow_redirects=False)
            status = response.status_code
            denied_anonymous = status == 401 or (
                status == 303 and response.headers["location"].startswith("/login")
            )
            if expected == PUBLIC:
                ok = status not in (401, 403) and not denied_anonymous
            elif who == "anonymous":
                ok = denied_anonymous
            elif expected == SIGNED_IN:
                ok = status not in (401, 403)
            else:
                assert isinstance(expected, set)
                ok = status != 403 and not denied_anonymous if who in expected else status == 403
            if not ok:
                failures.append(f"{who} {method} {url} -> {status}")
        assert failures == []
