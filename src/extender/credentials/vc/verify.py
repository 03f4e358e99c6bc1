"""Offline verification of an Extender credential, in either securing format.

Every check is always reported, in a fixed order, so that a page or a CLI can show the same
list for every document; a check that could not run says why. Nothing here raises on bad
input: a failed check carries the reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from extender.credentials.vc.canonical import CanonicalizationError, expand_strict
from extender.credentials.vc.checks import Check, KeyResolver, resolve_safely
from extender.credentials.vc.contexts import UnknownContextError, known_contexts
from extender.credentials.vc.data_integrity import proof_verification_method, verify_proof
from extender.credentials.vc.jose import JwsError, ParsedJws, check_jws, parse_jws
from extender.credentials.vc.ob3 import VC_V2_CONTEXT
from extender.credentials.vc.schema import validate_ob3
from extender.credentials.vc.status_check import StatusResolver, check_status
from extender.credentials.vc.validity import check_validity, issuer_id_of

CHECK_NAMES = ("format", "context", "schema", "signature", "issuer-key", "validity", "status")

__all__ = ["CHECK_NAMES", "Check", "VerificationReport", "verify"]


@dataclass
class VerificationReport:
    valid: bool
    format: str
    checks: list[Check] = field(default_factory=list)
    credential: dict[str, Any] | None = None

    def check(self, name: str) -> Check:
        return next(check for check in self.checks if check.name == name)

    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]


@dataclass
class _Parsed:
    format: str
    credential: dict[str, Any] | None = None
    jws: ParsedJws | None = None
    problem: str | None = None


def _parse(document: dict[str, Any] | str | bytes) -> _Parsed:
    if isinstance(document, bytes):
        try:
            document = document.decode("utf-8")
        except UnicodeDecodeError:
            return _Parsed("unknown", problem="the document is not UTF-8 text")
    if isinstance(document, str):
        text = document.strip()
        if not text:
            return _Parsed("unknown", problem="the document is empty")
        if not text.startswith(("{", "[")):
            try:
                jws = parse_jws(text, check_header=False)
            except JwsError as exc:
                return _Parsed("unknown", problem=f"neither JSON nor a JWT: {exc.message}")
            return _Parsed("jwt", credential=jws.payload, jws=jws)
        try:
            document = json.loads(text)
        except ValueError as exc:
            return _Parsed("unknown", problem=f"not valid JSON: {exc}")
    if not isinstance(document, dict):
        return _Parsed("unknown", problem="the credential must be a JSON object")
    if "proof" not in document:
        return _Parsed("json-ld", credential=document, problem="JSON-LD credential has no proof")
    return _Parsed("json-ld", credential=document)


def _format_check(parsed: _Parsed) -> Check:
    if parsed.problem:
        return Check.fail("format", parsed.problem)
    what = "compact JWS (VC-JOSE)" if parsed.format == "jwt" else "JSON-LD with a proof"
    return Check.ok("format", f"parsed as {what}")


def _context_check(doc: dict[str, Any]) -> Check:
    contexts = doc.get("@context")
    if not isinstance(contexts, list) or not contexts:
        return Check.fail("context", "@context must be a non-empty list")
    if contexts[0] != VC_V2_CONTEXT:
        return Check.fail("context", f"the first @context must be {VC_V2_CONTEXT}")
    for entry in contexts:
        if not isinstance(entry, str):
            return Check.fail("context", "embedded @context objects are not accepted")
        if entry not in known_contexts():
            return Check.fail("context", f"unknown context {entry!r}")
    try:
        expand_strict(doc)
    except (CanonicalizationError, UnknownContextError) as exc:
        return Check.fail("context", exc.message)
    return Check.ok("context", f"{len(contexts)} known context(s); every term is defined")


def _schema_check(doc: dict[str, Any]) -> Check:
    problems = validate_ob3(doc)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return Check.fail("schema", "; ".join(problems[:3]) + more)
    return Check.ok("schema", "conforms to the OB 3.0 AchievementCredential schema")


def _signature_check(parsed: _Parsed, resolve_key: KeyResolver) -> Check:
    if parsed.jws is not None:
        return check_jws(parsed.jws, resolve_key)
    assert parsed.credential is not None
    return verify_proof(parsed.credential, resolve_key)


def _verification_method(parsed: _Parsed) -> str | None:
    if parsed.jws is not None:
        kid = parsed.jws.header.get("kid")
        return kid if isinstance(kid, str) else None
    return proof_verification_method(parsed.credential or {})


def _issuer_key_check(parsed: _Parsed, resolve_key: KeyResolver) -> Check:
    """Whether the verification method is one of the issuer's own keys. Independent of the
    signature check, so that a tampered document fails "signature" alone and a document
    signed by someone else's key fails "issuer-key" even when their signature is sound."""
    issuer = issuer_id_of(parsed.credential or {})
    method = _verification_method(parsed)
    if issuer is None:
        return Check.fail("issuer-key", "the credential names no issuer id")
    if method is None:
        return Check.fail("issuer-key", "no verification method to attribute to the issuer")
    if not issuer.startswith("did:web:"):
        return Check.fail("issuer-key", f"issuer {issuer!r} is not a did:web identifier")
    if not method.startswith(issuer + "#") or len(method) == len(issuer) + 1:
        return Check.fail("issuer-key", f"key {method!r} does not belong to issuer {issuer!r}")
    if resolve_safely(resolve_key, method) is None:
        return Check.fail("issuer-key", f"issuer {issuer} publishes no key {method!r}")
    return Check.ok("issuer-key", f"key {method[len(issuer) + 1 :]} is a key of {issuer}")


def _guarded(name: str, run: Callable[[], Check]) -> Check:
    try:
        return run()
    except Exception as exc:  # a verifier reports; it never crashes on a document
        return Check.fail(name, f"could not be checked: {type(exc).__name__}: {exc}")


def verify(
    document: dict[str, Any] | str | bytes,
    *,
    resolve_key: KeyResolver,
    resolve_status_list: StatusResolver,
    now: datetime,
) -> VerificationReport:
    parsed = _guarded_parse(document)
    checks = [_format_check(parsed)]
    doc = parsed.credential
    if doc is None:
        reason = f"not checked: {checks[0].reason}"
        checks += [Check.fail(name, reason) for name in CHECK_NAMES[1:]]
        return VerificationReport(False, parsed.format, checks, None)
    checks.append(_guarded("context", lambda: _context_check(doc)))
    checks.append(_guarded("schema", lambda: _schema_check(doc)))
    checks.append(_guarded("signature", lambda: _signature_check(parsed, resolve_key)))
    checks.append(_guarded("issuer-key", lambda: _issuer_key_check(parsed, resolve_key)))
    checks.append(_guarded("validity", lambda: check_validity(doc, now)))
    checks.append(
        _guarded("status", lambda: check_status(doc, resolve_key, resolve_status_list, now))
    )
    valid = all(check.passed for check in checks)
    return VerificationReport(valid, parsed.format, checks, doc)


def _guarded_parse(document: Any) -> _Parsed:
    try:
        return _parse(document)
    except Exception as exc:
        return _Parsed("unknown", problem=f"unreadable document: {type(exc).__name__}: {exc}")
