"""What anyone may call: the issuer's keys (JWKS and did:web), the status lists, the verify
API and the public page of a credential its holder chose to share, with its downloads."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from extender.accounts.models import User
from extender.config import Settings
from extender.credentials import issuance, issuer, lifecycle, status, verification
from extender.credentials.certificate import certificate_pdf
from extender.credentials.models import Credential
from extender.credentials.vc.did import did_document
from extender.credentials.vc.verify import MAX_DOCUMENT_BYTES, MAX_NESTING, nesting_problem
from extender.errors import InvalidInput
from extender.web.deps import DB, AppSettings, MaybePrincipal
from extender.web.templating import render

router = APIRouter()
pages = APIRouter(include_in_schema=False)

JWT_TYPES = ("application/vc+jwt", "application/jwt", "text/plain")


@router.get("/.well-known/jwks.json", tags=["credentials"], summary="Issuer public keys")
def jwks_document(db: DB, settings: AppSettings) -> JSONResponse:
    issuer.ensure_keys(db, settings)
    db.commit()
    return JSONResponse(issuer.published_jwks(db, settings))


@router.get("/.well-known/did.json", tags=["credentials"], summary="Issuer did:web document")
def did_web_document(db: DB, settings: AppSettings) -> JSONResponse:
    issuer.ensure_keys(db, settings)
    db.commit()
    doc = did_document(issuer.issuer_did(settings), issuer.public_keys(db))
    return JSONResponse(doc, media_type="application/did+json")


@router.get(
    "/status/{list_id}",
    tags=["credentials"],
    summary="A signed Bitstring Status List credential (JSON-LD, or JWT with ?format=jwt)",
)
def status_list(request: Request, db: DB, settings: AppSettings, list_id: str) -> Response:
    accept = request.headers.get("accept", "")
    if request.query_params.get("format") == "jwt" or "application/vc+jwt" in accept:
        token = status.list_credential_jwt(db, settings, list_id)
        db.commit()
        return Response(token, media_type="application/vc+jwt")
    doc = status.signed_list_credential(db, settings, list_id)
    db.commit()  # keys are generated on first use
    return JSONResponse(doc, media_type="application/vc+ld+json")


TOO_LARGE = (
    f"a credential to verify is at most {MAX_DOCUMENT_BYTES} bytes "
    f"({MAX_DOCUMENT_BYTES // 1024} KiB)"
)
TOO_DEEP = f"the body is nested more than {MAX_NESTING} levels deep"


async def _verify_body(request: Request) -> bytes:
    """The request body, read on the event loop (I/O only) and refused with 413 past
    MAX_DOCUMENT_BYTES: by the declared Content-Length, or while it streams in."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_DOCUMENT_BYTES:
        raise HTTPException(413, TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_DOCUMENT_BYTES:
            raise HTTPException(413, TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


VerifyBody = Annotated[bytes, Depends(_verify_body)]


def _parse_verify_body(content_type: str, body: bytes) -> dict[str, Any] | str:
    if not body.strip():
        raise InvalidInput("send a credential: a JSON object or a JWT string", field="body")
    if content_type.startswith(JWT_TYPES):
        try:
            return body.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise InvalidInput("the JWT is not UTF-8 text", field="body") from None
    try:
        value = json.loads(body)
    except RecursionError:
        raise InvalidInput(TOO_DEEP, field="body") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}", field="body") from None
    if nesting_problem(value):
        raise InvalidInput(TOO_DEEP, field="body")
    if isinstance(value, dict | str):
        return value
    raise InvalidInput(
        "the body must be a JSON object (a credential) or a JSON string (a JWT)", field="body"
    )


@router.post(
    "/api/v1/verify",
    tags=["credentials"],
    summary="Verify a credential: each check reported separately",
    responses={
        413: {"description": f"the body is larger than {MAX_DOCUMENT_BYTES} bytes"},
        422: {
            "description": "the body is neither a JSON credential nor a JWT, or is nested "
            f"more than {MAX_NESTING} levels deep"
        },
    },
)
def verify_api(request: Request, body: VerifyBody, db: DB, settings: AppSettings) -> JSONResponse:
    # A plain def: FastAPI runs it in the thread pool, so verifying (CPU-bound JSON-LD work)
    # never blocks the event loop and other requests are served meanwhile.
    document = _parse_verify_body(request.headers.get("content-type", ""), body)
    report = verification.verify_local(db, settings, document)
    db.rollback()
    return JSONResponse(verification.report_json(report))


def linkedin_url(settings: Settings, cred: Credential, name: str, page_url: str) -> str:
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": issuer.ISSUER_NAME,
        "issueYear": str(cred.valid_from.year),
        "issueMonth": str(cred.valid_from.month),
    }
    if cred.valid_until is not None:
        params["expirationYear"] = str(cred.valid_until.year)
        params["expirationMonth"] = str(cred.valid_until.month)
    params["certUrl"] = page_url
    params["certId"] = cred.id
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


def page_url(settings: Settings, slug: str) -> str:
    return f"{issuer.base_url(settings)}/c/{slug}"


def json_download(cred: Credential) -> JSONResponse:
    """The signed JSON-LD credential as a file (the holder's wallet and the public page)."""
    return JSONResponse(
        cred.document,
        media_type="application/vc+ld+json",
        headers={"Content-Disposition": f'attachment; filename="credential-{cred.id}.json"'},
    )


def jwt_download(cred: Credential) -> Response:
    return Response(
        cred.jwt,
        media_type="application/vc+jwt",
        headers={"Content-Disposition": f'attachment; filename="credential-{cred.id}.jwt"'},
    )


@pages.get("/c/{slug}.json")
def shared_json(db: DB, slug: str) -> JSONResponse:
    return json_download(lifecycle.by_share_slug(db, slug))


@pages.get("/c/{slug}.jwt")
def shared_jwt(db: DB, slug: str) -> Response:
    return jwt_download(lifecycle.by_share_slug(db, slug))


@pages.get("/c/{slug}.pdf")
def shared_pdf(db: DB, settings: AppSettings, slug: str) -> Response:
    cred = lifecycle.by_share_slug(db, slug)
    holder = db.get(User, cred.holder_id)
    assert holder is not None
    pdf = certificate_pdf(
        holder=holder.display_name,
        spec=issuance.achievement(settings, cred.achievement_id),
        valid_from=cred.valid_from,
        valid_until=cred.valid_until,
        page_url=page_url(settings, slug),
        credential_id=cred.id,
        status=lifecycle.effective_status(cred),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{cred.id}.pdf"'},
    )


@pages.get("/c/{slug}", response_class=HTMLResponse)
def shared_page(
    request: Request, db: DB, settings: AppSettings, principal: MaybePrincipal, slug: str
) -> Response:
    cred = lifecycle.by_share_slug(db, slug)
    holder = db.get(User, cred.holder_id)
    assert holder is not None
    spec = issuance.achievement(settings, cred.achievement_id)
    report = verification.verify_stored(db, settings, cred)
    db.rollback()
    url = page_url(settings, slug)
    subject = cred.document.get("credentialSubject", {})
    return render(
        request,
        "credentials/public.html",
        principal,
        {
            "cred": cred,
            "holder": holder,
            "spec": spec,
            "status": lifecycle.effective_status(cred),
            "report": report,
            "page_url": url,
            "issuer_name": issuer.ISSUER_NAME,
            "issuer_id": issuer.issuer_did(settings),
            "evidence": cred.document.get("evidence", []),
            "results": subject.get("result", []),
            "alignments": subject.get("achievement", {}).get("alignment", []),
            "linkedin": linkedin_url(settings, cred, spec.name, url),
            "og_image": f"{issuer.base_url(settings)}/static/favicon.svg",
        },
    )
