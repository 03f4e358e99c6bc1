"""The learner's wallet: their credentials with status, share and unshare, downloads, and the
signed transcript."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from extender.credentials import issuance, lifecycle, transcript
from extender.credentials.public_routes import json_download, jwt_download, page_url
from extender.credentials.renewal import counted_ce
from extender.db import utcnow
from extender.web.deps import DB, AppSettings, CurrentPrincipal
from extender.web.templating import flash, render

pages = APIRouter(include_in_schema=False)


@pages.get("/credentials", response_class=HTMLResponse)
def wallet(
    request: Request, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> Response:
    creds = issuance.credentials_of(db, principal.user.id)
    now = utcnow()
    items: list[dict[str, Any]] = []
    for cred in creds:
        spec = issuance.catalog(settings).achievements.get(cred.achievement_id)
        ce: float | None = None
        if spec is not None and spec.renewal is not None:
            activities = counted_ce(db, cred, spec.track, now)
            ce = sum(a.credits for a in activities)
        items.append(
            {
                "cred": cred,
                "name": spec.name if spec else cred.achievement_id,
                "status": lifecycle.effective_status(cred, now),
                "page_url": page_url(settings, cred.share_slug) if cred.share_slug else None,
                "ce": ce,
                "ce_needed": spec.renewal.ce_credits if spec and spec.renewal else None,
            }
        )
    return render(request, "credentials/wallet.html", principal, {"items": items})


@pages.get("/credentials/transcript.json")
def transcript_json(
    request: Request, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> Response:
    signed, token = transcript.signed_transcript(db, settings, principal.user)
    db.commit()  # keys are generated on first use
    if request.query_params.get("format") == "jwt":
        return Response(
            token,
            media_type="application/vc+jwt",
            headers={"Content-Disposition": 'attachment; filename="transcript.jwt"'},
        )
    return JSONResponse(
        signed,
        media_type="application/vc+ld+json",
        headers={"Content-Disposition": 'attachment; filename="transcript.json"'},
    )


@pages.post("/credentials/{credential_id}/share")
def share(request: Request, db: DB, principal: CurrentPrincipal, credential_id: str) -> Response:
    cred = lifecycle.owned(db, principal.user, credential_id)
    lifecycle.share(db, principal.user, cred)
    db.commit()
    flash(request, "Your credential now has a public page; copy its address to share it.")
    return RedirectResponse("/credentials", status_code=303)


@pages.post("/credentials/{credential_id}/unshare")
def unshare(request: Request, db: DB, principal: CurrentPrincipal, credential_id: str) -> Response:
    cred = lifecycle.owned(db, principal.user, credential_id)
    lifecycle.unshare(db, principal.user, cred)
    db.commit()
    flash(request, "The public page is withdrawn; its address no longer works.")
    return RedirectResponse("/credentials", status_code=303)


@pages.get("/credentials/{credential_id}.json")
def download_json(db: DB, principal: CurrentPrincipal, credential_id: str) -> Response:
    return json_download(lifecycle.owned(db, principal.user, credential_id))


@pages.get("/credentials/{credential_id}.jwt")
def download_jwt(db: DB, principal: CurrentPrincipal, credential_id: str) -> Response:
    return jwt_download(lifecycle.owned(db, principal.user, credential_id))
