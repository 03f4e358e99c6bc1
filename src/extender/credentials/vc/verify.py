"""Offline verification of an Extender credential, in either securing format.

Every check is always reported, in a fixed order, so that a page or a CLI can show the same
list for every document; a check that could not run says why. Nothing here raises on bad
input: a failed check carries the reason.

Anyone may send a document to verify, so its cost is bounded before any JSON-LD processing:
a document larger than MAX_DOCUMENT_BYTES, nested deeper than MAX_NESTING, with more than
MAX_OBJECTS objects, MAX_VALUES values or MAX_ARRAY_ITEMS items in one array, or naming a
blank node (an ``_:`` identifier, which Extender never issues), fails the format check and
nothing else runs. A Data Integrity proof is not checked (no RDF canonicalization) when the
context or schema check failed; canonicalization itself is bounded too (canonical.py)."""

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
from extender.credentials.vc.jose import JwsError, JwsTooDeep, ParsedJws, check_jws, parse_jws
from extender.credentials.vc.ob3 import VC_V2_CONTEXT
from extender.credentials.vc.schema import validate_ob3
from extender.credentials.vc.status_check import StatusResolver, check_status
from extender.credentials.vc.validity import check_validity, issuer_id_of

CHECK_NAMES = ("format", "context", "schema", "signature", "issuer-key", "validity", "status")

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_NESTING = 64
MAX_OBJECTS = 500
MAX_VALUES = 2_500
MAX_ARRAY_ITEMS = 100

__all__ = [
    "CHECK_NAMES",
    "MAX_ARRAY_ITEMS",
    "MAX_DOCUMENT_BYTES",
    "MAX_NESTING",
    "MAX_OBJECTS",
    "MAX_VALUES",
    "Check",
    "VerificationReport",
    "nesting_problem",
    "refused_early",
    "verify",
]


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


def _size_problem(size: int) -> str | None:
    if size > MAX_DOCUMENT_BYTES:
        return (
            f"the document is {size} bytes; at most {MAX_DOCUMENT_BYTES} bytes "
            f"({MAX_DOCUMENT_BYTES // 1024} KiB) are accepted"
        )
    return None


def _nesting_message() -> str:
    return f"the document is nested more than {MAX_NESTING} levels deep"


def nesting_problem(value: Any) -> str | None:
    """Why a parsed JSON value is nested too deeply, or None (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_NESTING:
                return _nesting_message()
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return None


# A JSON path kept as links to its parent, rendered only for the message that needs it.
_Path = tuple["_Path", "str | int"] | None


def _render(path: _Path) -> str:
    parts: list[str] = []
    while path is not None:
        path, key = path
        shown = key if isinstance(key, int) or len(key) <= 40 else key[:37] + "..."
        parts.append(f"[{shown}]" if isinstance(shown, int) else f".{shown}")
    return "$" + "".join(reversed(parts))


def _limits_problem(doc: dict[str, Any]) -> str | None:
    """Why a parsed document is refused before any JSON-LD processing, or None: nesting,
    number of objects, of values and of items in one array, and blank-node identifiers."""
    problem = nesting_problem(doc)
    if problem:
        return problem
    objects = values = 0
    stack: list[tuple[Any, _Path]] = [(doc, None)]
    while stack:
        node, path = stack.pop()
        values += 1
        if values > MAX_VALUES:
            return f"the document has more than {MAX_VALUES} JSON values"
        if isinstance(node, dict):
            objects += 1
            if objects > MAX_OBJECTS:
                return f"the document has more than {MAX_OBJECTS} JSON objects"
            for key, child in node.items():
                if isinstance(key, str) and key.startswith("_:"):
                    where = f"used as a property at {_render(path)}"
                    return f"blank node identifier {key[:40]!r} {where}: {_BLANK}"
                stack.append((child, (path, key)))
        elif isinstance(node, list):
            if len(node) > MAX_ARRAY_ITEMS:
                return (
                    f"the array at {_render(path)} has {len(node)} items; "
                    f"at most {MAX_ARRAY_ITEMS} are accepted"
                )
            stack.extend((child, (path, index)) for index, child in enumerate(node))
        elif isinstance(node, str) and node.startswith("_:"):
            return f"blank node identifier {node[:40]!r} at {_render(path)}: {_BLANK}"
    return None


_BLANK = "Extender credentials never use them, so they are refused"


def _parse(document: dict[str, Any] | str | bytes) -> _Parsed:
    if isinstance(document, bytes):
        problem = _size_problem(len(document))
        if problem:
            return _Parsed("unknown", problem=problem)
        try:
            document = document.decode("utf-8")
        except UnicodeDecodeError:
            return _Parsed("unknown", problem="the document is not UTF-8 text")
    known_size = isinstance(document, str)
    if isinstance(document, str):
        text = document.strip()
        if not text:
            return _Parsed("unknown", problem="the document is empty")
        problem = _size_problem(len(text.encode("utf-8")))
        if problem:
            return _Parsed("unknown", problem=problem)
        if not text.startswith(("{", "[")):
            try:
                jws = parse_jws(text, check_header=False)
            except JwsTooDeep:
                return _Parsed("jwt", problem=f"JWT refused: {_nesting_message()}")
            except JwsError as exc:
                return _Parsed("unknown", problem=f"neither JSON nor a JWT: {exc.message}")
            problem = _limits_problem(jws.payload)
            if problem:
                return _Parsed("jwt", problem=f"JWT payload refused: {problem}")
            return _Parsed("jwt", credential=jws.payload, jws=jws)
        try:
            document = json.loads(text)
        except RecursionError:
            return _Parsed("unknown", problem=_nesting_message())
        except ValueError as exc:
            return _Parsed("unknown", problem=f"not valid JSON: {exc}")
    if not isinstance(document, dict):
        return _Parsed("unknown", problem="the credential must be a JSON object")
    problem = _limits_problem(document)
    if problem is None and not known_size:
        problem = _size_problem(len(json.dumps(document, ensure_ascii=False).encode("utf-8")))
    if problem:
        return _Parsed("json-ld", problem=problem)
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


def _refused(parsed: _Parsed) -> VerificationReport:
    checks = [_format_check(parsed)]
    reason = f"not checked: {checks[0].reason}"
    checks += [Check.fail(name, reason) for name in CHECK_NAMES[1:]]
    return VerificationReport(False, parsed.format, checks, None)


def refused_early(document: dict[str, Any] | str | bytes) -> VerificationReport | None:
    """The report for a document that fails the format check before anything else can run
    (unreadable, too large, too deeply nested, blank-node identifiers...), or None. Lets a
    caller refuse it before looking up keys or status lists."""
    parsed = _guarded_parse(document)
    return _refused(parsed) if parsed.credential is None else None


def _not_attempted(parsed: _Parsed, checks: list[Check], resolve_key: KeyResolver) -> Check:
    """A Data Integrity proof is checked only on a document that passed the context and schema
    checks: canonicalizing anything else is work spent on a document already refused."""
    if parsed.jws is None:
        for check in checks:
            if check.name in ("context", "schema") and not check.passed:
                return Check.fail(
                    "signature", f"not attempted: the {check.name} check failed ({check.reason})"
                )
    return _guarded("signature", lambda: _signature_check(parsed, resolve_key))


def verify(
    document: dict[str, Any] | str | bytes,
    *,
    resolve_key: KeyResolver,
    resolve_status_list: StatusResolver,
    now: datetime,
) -> VerificationReport:
    parsed = _guarded_parse(document)
    doc = parsed.credential
    if doc is None:
        return _refused(parsed)
    checks = [_format_check(parsed)]
    checks.append(_guarded("context", lambda: _context_check(doc)))
    checks.append(_guarded("schema", lambda: _schema_check(doc)))
    checks.append(_not_attempted(parsed, checks, resolve_key))
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
