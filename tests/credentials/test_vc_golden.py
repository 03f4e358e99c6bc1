"""Golden tests of the credential core: an Extender credential, secured as a Data Integrity
proof and as VC-JOSE JWTs, verifies; each single tampering fails the right check.

The `VcWorld` here (an issuer with an Ed25519 and an RSA key, signed revocation and suspension
lists) is shared with the other test_vc_* modules."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from extender.credentials.vc import (
    AchievementDef,
    Alignment,
    BitstringStatusList,
    EvidenceEntry,
    IssuerKey,
    IssuerProfile,
    ResultDescription,
    ResultEntry,
    StatusEntry,
    VerificationReport,
    add_proof,
    build_credential,
    did_web,
    encode_jwt,
    generate_key,
    status_list_credential,
    verify,
)
from extender.credentials.vc.did import verification_method_id
from extender.credentials.vc.encoding import b64url_decode, b64url_encode
from extender.credentials.vc.verify import CHECK_NAMES

HOST = "credentials.example.org:8443"
BASE = "https://credentials.example.org:8443"
ISSUED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
UNTIL = datetime(2028, 3, 1, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
INDEX = 4242


@cache
def _keys() -> tuple[IssuerKey, IssuerKey, IssuerKey]:
    """Issuer Ed25519, issuer RSA, and an outsider's Ed25519 key (generated once per run)."""
    return generate_key("EdDSA"), generate_key("RS256"), generate_key("EdDSA")


@dataclass
class VcWorld:
    did: str
    ed: IssuerKey
    rsa: IssuerKey
    outsider: IssuerKey
    revoked: set[int] = field(default_factory=set)
    suspended: set[int] = field(default_factory=set)
    lists: dict[str, dict[str, Any] | str] = field(default_factory=dict)

    def method(self, key: IssuerKey) -> str:
        return verification_method_id(self.did, key)

    def resolve_key(self, method: str) -> IssuerKey | None:
        known = {self.method(k): k.public_only() for k in (self.ed, self.rsa)}
        return known.get(method)

    def list_url(self, purpose: str) -> str:
        return f"{BASE}/status/{purpose}-1"

    def publish_lists(self, *, as_jwt: bool = False, changed: datetime = ISSUED) -> None:
        for purpose, indices in (("revocation", self.revoked), ("suspension", self.suspended)):
            bits = BitstringStatusList()
            for index in indices:
                bits.set(index)
            url = self.list_url(purpose)
            doc = status_list_credential(url, self.did, bits.encode(), purpose, changed)
            self.lists[url] = (
                encode_jwt(doc, self.ed, self.method(self.ed))
                if as_jwt
                else add_proof(doc, self.ed, self.method(self.ed), changed)
            )

    def resolve_list(self, url: str) -> dict[str, Any] | str | None:
        return self.lists.get(url)

    def credential(self, *, purpose: str = "revocation", **overrides: Any) -> dict[str, Any]:
        issuer = IssuerProfile(
            id=self.did, name="Extender Health IT Academy", url=BASE, email="registrar@example.org"
        )
        achievement = AchievementDef(
            id=f"{BASE}/achievements/cpehr",
            name="Certified Professional in Electronic Health Records",
            description="Can configure, support and audit an EHR in a clinical setting.",
            criteria_narrative="Pass the CPEHR exam and three practicum scenarios at 80% or more.",
            achievement_type="Certification",
            alignments=(
                Alignment(
                    target_name="Reconcile a medication list",
                    target_url=f"{BASE}/framework/objectives/ehr-3",
                    target_code="EHR-3",
                    target_framework="Extender health IT competency framework",
                ),
            ),
            tags=("EHR", "health IT"),
        )
        descriptions = [
            ResultDescription(
                id=f"{BASE}/achievements/cpehr#exam",
                name="CPEHR exam scaled score",
                result_type="ScaledScore",
                value_min="100",
                value_max="500",
                required_value="300",
            ),
            ResultDescription(
                id=f"{BASE}/achievements/cpehr#scenario-med-rec",
                name="Medication reconciliation scenario",
                result_type="Percent",
            ),
        ]
        url = self.list_url(purpose)
        args: dict[str, Any] = {
            "credential_id": "urn:uuid:0f3c8a4e-9a57-4bb1-b7f7-3f8c1f3e2d10",
            "issuer": issuer,
            "achievement": achievement,
            "result_descriptions": descriptions,
            "subject_id": "urn:uuid:6c1f3a2b-2f7e-4a0e-9d5c-0b9f0c7d1e21",
            "subject_name": "Ada Okafor",
            "results": [
                ResultEntry(f"{BASE}/achievements/cpehr#exam", "412", "Completed"),
                ResultEntry(f"{BASE}/achievements/cpehr#scenario-med-rec", "88"),
            ],
            "evidence": [
                EvidenceEntry(
                    id=f"{BASE}/practicum/attempts/77",
                    name="Medication reconciliation (practicum scenario)",
                    description="Attempt of 2026-02-20: score 88%, 41 minutes.",
                    narrative="Reconciled a 14-item medication list; objectives EHR-3, EHR-5.",
                    genre="Practicum scenario",
                )
            ],
            "valid_from": ISSUED,
            "valid_until": UNTIL,
            "status": StatusEntry(f"{url}#{INDEX}", url, INDEX, purpose),
            "name": "CPEHR certification",
        }
        args.update(overrides)
        return build_credential(**args)

    def secure(self, doc: dict[str, Any], fmt: str) -> dict[str, Any] | str:
        if fmt == "di":
            return add_proof(doc, self.ed, self.method(self.ed), ISSUED)
        key = self.ed if fmt == "jwt-eddsa" else self.rsa
        return encode_jwt(doc, key, self.method(key))

    def verify(self, secured: Any, now: datetime = NOW) -> VerificationReport:
        return verify(
            secured, resolve_key=self.resolve_key, resolve_status_list=self.resolve_list, now=now
        )


def make_world() -> VcWorld:
    ed, rsa, outsider = _keys()
    world = VcWorld(did_web(HOST), ed, rsa, outsider)
    world.publish_lists()
    return world


def failed(report: VerificationReport) -> dict[str, str]:
    return {check.name: check.reason for check in report.checks if not check.passed}


def tamper(secured: dict[str, Any] | str, change: Callable[[dict[str, Any]], None]) -> Any:
    """The secured credential with its claims changed but its signature kept."""
    if isinstance(secured, dict):
        doc = copy.deepcopy(secured)
        change(doc)
        return doc
    header, payload, signature = secured.split(".")
    claims = json.loads(b64url_decode(payload))
    change(claims)
    return ".".join([header, b64url_encode(json.dumps(claims).encode()), signature])


FORMATS = ["di", "jwt-eddsa", "jwt-rs256"]


@pytest.fixture
def vc() -> VcWorld:
    return make_world()


@pytest.mark.parametrize("fmt", FORMATS)
def test_secured_credential_verifies_with_every_check_reported(vc: VcWorld, fmt: str) -> None:
    report = vc.verify(vc.secure(vc.credential(), fmt))
    assert failed(report) == {}
    assert report.valid
    assert report.format == ("json-ld" if fmt == "di" else "jwt")
    assert [check.name for check in report.checks] == list(CHECK_NAMES)
    assert report.credential is not None
    assert report.credential["credentialSubject"]["name"] == "Ada Okafor"
    assert "not revoked" in report.check("status").reason


def test_json_text_and_bytes_verify_like_the_dict(vc: VcWorld) -> None:
    signed = vc.secure(vc.credential(), "di")
    assert vc.verify(json.dumps(signed)).valid
    assert vc.verify(json.dumps(signed).encode("utf-8")).valid
    token = vc.secure(vc.credential(), "jwt-eddsa")
    assert isinstance(token, str)
    assert vc.verify(token.encode("ascii") + b"\n").valid


def _name(doc: dict[str, Any]) -> None:
    doc["credentialSubject"]["name"] = "Mallory Fraud"
    doc["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory Fraud"


def _date(doc: dict[str, Any]) -> None:
    doc["validUntil"] = "2036-03-01T09:30:00Z"


def _score(doc: dict[str, Any]) -> None:
    doc["credentialSubject"]["result"][0]["value"] = "499"


def _evidence(doc: dict[str, Any]) -> None:
    doc["evidence"][0]["description"] = "Attempt of 2026-02-20: score 100%, 12 minutes."


def _status_index(doc: dict[str, Any]) -> None:
    doc["credentialStatus"]["statusListIndex"] = "1"


TAMPERINGS = {"name": _name, "date": _date, "score": _score, "evidence": _evidence}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("what", [*TAMPERINGS, "status-index"])
def test_changed_claim_fails_the_signature_check_only(vc: VcWorld, fmt: str, what: str) -> None:
    change = TAMPERINGS.get(what, _status_index)
    report = vc.verify(tamper(vc.secure(vc.credential(), fmt), change))
    assert not report.valid
    problems = failed(report)
    assert list(problems) == ["signature"], problems
    assert "does not match" in problems["signature"]


def test_undefined_term_added_after_signing_fails_context_and_signature(vc: VcWorld) -> None:
    def add_term(doc: dict[str, Any]) -> None:
        doc["credentialSubject"]["licenseState"] = "CA"

    report = vc.verify(tamper(vc.secure(vc.credential(), "di"), add_term))
    problems = failed(report)
    assert set(problems) == {"context", "signature"}
    assert "licenseState" in problems["context"]
    assert "licenseState" in problems["signature"]


def test_removed_proof_fails_format_and_signature(vc: VcWorld) -> None:
    signed = vc.secure(vc.credential(), "di")
    assert isinstance(signed, dict)
    del signed["proof"]
    problems = failed(vc.verify(signed))
    assert set(problems) == {"format", "signature", "issuer-key"}
    assert "no proof" in problems["format"]
    assert "no Data Integrity proof" in problems["signature"]


def test_removed_jws_signature_fails_format(vc: VcWorld) -> None:
    token = vc.secure(vc.credential(), "jwt-eddsa")
    assert isinstance(token, str)
    report = vc.verify(token.rsplit(".", 1)[0] + ".")
    assert not report.valid
    assert report.check("format").passed is False
    assert "empty signature" in report.check("format").reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_signed_with_another_key_under_the_issuers_name_fails_signature(
    vc: VcWorld, fmt: str
) -> None:
    doc = vc.credential()
    claimed = vc.method(vc.ed if fmt != "jwt-rs256" else vc.rsa)
    if fmt == "di":
        secured: Any = add_proof(doc, vc.outsider, vc.method(vc.ed), ISSUED)
    elif fmt == "jwt-eddsa":
        secured = encode_jwt(doc, vc.outsider, claimed)
    else:
        secured = encode_jwt(doc, vc.ed, claimed)  # an EdDSA key passed off as the RSA kid
    problems = failed(vc.verify(secured))
    assert list(problems) == ["signature"], problems
    assert claimed in problems["signature"]


def test_key_of_another_did_fails_issuer_key_even_with_a_sound_signature(vc: VcWorld) -> None:
    outsider_method = f"did:web:evil.example#{vc.outsider.kid}"

    def resolve_anything(method: str) -> IssuerKey | None:
        return vc.outsider.public_only() if method == outsider_method else vc.resolve_key(method)

    token = encode_jwt(vc.credential(), vc.outsider, outsider_method)
    report = verify(
        token, resolve_key=resolve_anything, resolve_status_list=vc.resolve_list, now=NOW
    )
    problems = failed(report)
    assert list(problems) == ["issuer-key"], problems
    assert "does not belong to issuer" in problems["issuer-key"]


def test_unknown_key_fails_signature_and_issuer_key(vc: VcWorld) -> None:
    token = encode_jwt(vc.credential(), vc.outsider, f"{vc.did}#{vc.outsider.kid}")
    problems = failed(vc.verify(token))
    assert set(problems) == {"signature", "issuer-key"}
    assert "unknown key" in problems["signature"]
    assert "publishes no key" in problems["issuer-key"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_revoked_credential_fails_status_with_since(vc: VcWorld, fmt: str) -> None:
    secured = vc.secure(vc.credential(), fmt)
    vc.revoked.add(INDEX)
    vc.publish_lists(changed=datetime(2026, 4, 2, 12, tzinfo=UTC))
    problems = failed(vc.verify(secured))
    assert list(problems) == ["status"], problems
    assert problems["status"].startswith("revoked since 2026-04-02T12:00:00Z")
    assert f"index {INDEX}" in problems["status"]


def test_other_revoked_indices_leave_the_credential_valid(vc: VcWorld) -> None:
    vc.revoked.update({INDEX - 1, INDEX + 1, 0})
    vc.publish_lists()
    assert vc.verify(vc.secure(vc.credential(), "di")).valid


def test_suspended_credential_fails_status(vc: VcWorld) -> None:
    vc.suspended.add(INDEX)
    vc.publish_lists(as_jwt=True)
    report = vc.verify(vc.secure(vc.credential(purpose="suspension"), "jwt-eddsa"))
    assert list(failed(report)) == ["status"]
    assert report.check("status").reason.startswith("suspended since")


@pytest.mark.parametrize("fmt", FORMATS)
def test_expired_credential_fails_validity_naming_the_date(vc: VcWorld, fmt: str) -> None:
    report = vc.verify(vc.secure(vc.credential(), fmt), now=UNTIL + timedelta(seconds=1))
    problems = failed(report)
    assert list(problems) == ["validity"], problems
    assert "expired on 2028-03-01T09:30:00Z" in problems["validity"]


def test_validity_boundaries(vc: VcWorld) -> None:
    signed = vc.secure(vc.credential(), "di")
    assert vc.verify(signed, now=ISSUED).check("validity").passed
    assert not vc.verify(signed, now=UNTIL).check("validity").passed
    early = vc.verify(signed, now=ISSUED - timedelta(seconds=1))
    assert "not yet valid: validFrom 2026-03-01T09:30:00Z" in early.check("validity").reason


def test_status_list_with_a_forged_signature_fails_status(vc: VcWorld) -> None:
    url = vc.list_url("revocation")
    clean = BitstringStatusList().encode()
    vc.revoked.add(INDEX)
    vc.publish_lists()
    forged = copy.deepcopy(vc.lists[url])
    assert isinstance(forged, dict)
    forged["credentialSubject"]["encodedList"] = clean  # hide the revocation
    vc.lists[url] = forged
    problems = failed(vc.verify(vc.secure(vc.credential(), "di")))
    assert list(problems) == ["status"]
    assert "is not authentic" in problems["status"]


def test_status_list_that_cannot_be_fetched_fails_status(vc: VcWorld) -> None:
    vc.lists.clear()
    problems = failed(vc.verify(vc.secure(vc.credential(), "di")))
    assert list(problems) == ["status"]
    assert "could not be retrieved" in problems["status"]


def test_status_list_signed_by_another_issuer_fails_status(vc: VcWorld) -> None:
    url = vc.list_url("revocation")
    doc = status_list_credential(
        url, "did:web:evil.example", BitstringStatusList().encode(), "revocation", ISSUED
    )
    vc.lists[url] = add_proof(doc, vc.ed, vc.method(vc.ed), ISSUED)
    problems = failed(vc.verify(vc.secure(vc.credential(), "di")))
    assert "issued by 'did:web:evil.example'" in problems["status"]


def test_credential_without_status_says_it_cannot_be_revoked(vc: VcWorld) -> None:
    report = vc.verify(vc.secure(vc.credential(status=None), "jwt-eddsa"))
    assert report.valid
    assert "cannot revoke" in report.check("status").reason
