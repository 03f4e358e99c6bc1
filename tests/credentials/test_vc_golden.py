"""Golden tests of the credential core: an Extender credential, secured as a Data Integrity
proof and as VC-JOSE JWTs, verifies; each single tampering fails the right check.

The `VcWorld` here (an issuer with an Ed25519 and an RSA key, a signed 2-bit "message" list as
Extender publishes now, and the 1-bit revocation and suspension lists of older credentials) is
shared with the other test_vc_* modules. Its credentials carry the entry Extender issues: one
"message" entry of 2 bits (active, suspended, revoked)."""

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
from extender.credentials.vc.ob3 import StatusMessage
from extender.credentials.vc.schema import validate_ob3
from extender.credentials.vc.status_list import MIN_ENTRIES
from extender.credentials.vc.verify import CHECK_NAMES

HOST = "credentials.example.org:8443"
BASE = "https://credentials.example.org:8443"
ISSUED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
UNTIL = datetime(2028, 3, 1, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
INDEX = 4242
ACTIVE, SUSPENDED, REVOKED = 0, 1, 2
MESSAGES = (
    StatusMessage(0, "active"),
    StatusMessage(1, "suspended"),
    StatusMessage(2, "revoked"),
    StatusMessage(3, "undefined"),
)
MESSAGES_JSON = [{"status": hex(m.status), "message": m.message} for m in MESSAGES]


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
    revoked: set[int] = field(default_factory=set)  # 1-bit revocation list (older entries)
    suspended: set[int] = field(default_factory=set)  # 1-bit suspension list
    statuses: dict[int, int] = field(default_factory=dict)  # 2-bit message list: index -> value
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
            self._publish(purpose, bits, as_jwt=as_jwt, changed=changed)
        message = BitstringStatusList(MIN_ENTRIES * 2)
        for index, value in self.statuses.items():
            message.set_value(index, 2, value)
        self._publish("message", message, as_jwt=as_jwt, changed=changed)

    def _publish(
        self, purpose: str, bits: BitstringStatusList, *, as_jwt: bool, changed: datetime
    ) -> None:
        url = self.list_url(purpose)
        doc = status_list_credential(url, self.did, bits.encode(), purpose, changed)
        self.lists[url] = (
            encode_jwt(doc, self.ed, self.method(self.ed))
            if as_jwt
            else add_proof(doc, self.ed, self.method(self.ed), changed)
        )

    def resolve_list(self, url: str) -> dict[str, Any] | str | None:
        return self.lists.get(url)

    def entry(self, purpose: str = "message") -> StatusEntry:
        """The credentialStatus Extender issues ("message", 2 bits), or an older 1-bit one."""
        url = self.list_url(purpose)
        if purpose == "message":
            return StatusEntry(f"{url}#{INDEX}", url, INDEX, purpose, 2, MESSAGES)
        return StatusEntry(f"{url}#{INDEX}", url, INDEX, purpose)

    def credential(self, *, purpose: str = "message", **overrides: Any) -> dict[str, Any]:
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
            "status": self.entry(purpose),
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
    assert report.check("status").reason.startswith("active (status 0x0, index 4242 of")


def test_the_status_entry_is_one_2_bit_message_entry_the_schema_accepts(vc: VcWorld) -> None:
    doc = vc.credential()
    assert doc["credentialStatus"] == {
        "id": f"{BASE}/status/message-1#{INDEX}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": str(INDEX),
        "statusListCredential": f"{BASE}/status/message-1",
        "statusSize": 2,
        "statusMessage": [
            {"status": "0x0", "message": "active"},
            {"status": "0x1", "message": "suspended"},
            {"status": "0x2", "message": "revoked"},
            {"status": "0x3", "message": "undefined"},
        ],
    }
    assert validate_ob3(doc) == []
    listing = vc.lists[f"{BASE}/status/message-1"]
    assert isinstance(listing, dict)
    assert listing["credentialSubject"]["statusPurpose"] == "message"
    # The VC 2.0 context defines statusSize / statusMessage on the entry only.
    assert set(listing["credentialSubject"]) == {"id", "type", "statusPurpose", "encodedList"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_older_revocation_entry_credential_still_verifies(vc: VcWorld, fmt: str) -> None:
    report = vc.verify(vc.secure(vc.credential(purpose="revocation"), fmt))
    assert failed(report) == {}
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


CHANGED = datetime(2026, 4, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("value", "message"), [(SUSPENDED, "suspended"), (REVOKED, "revoked")])
def test_a_suspended_or_revoked_credential_fails_status_with_the_message(
    vc: VcWorld, fmt: str, value: int, message: str
) -> None:
    secured = vc.secure(vc.credential(), fmt)
    vc.statuses[INDEX] = value
    vc.publish_lists(changed=CHANGED)
    problems = failed(vc.verify(secured))
    assert list(problems) == ["status"], problems
    assert problems["status"] == (
        f"{message} (status {value:#x}; status list updated 2026-04-02T12:00:00Z; "
        f"index {INDEX} of status list {BASE}/status/message-1)"
    )


def test_a_reinstated_credential_passes_again(vc: VcWorld) -> None:
    secured = vc.secure(vc.credential(), "jwt-eddsa")
    vc.statuses[INDEX] = SUSPENDED
    vc.publish_lists(as_jwt=True)
    assert "suspended" in failed(vc.verify(secured))["status"]
    vc.statuses[INDEX] = ACTIVE
    vc.publish_lists(as_jwt=True)
    report = vc.verify(secured)
    assert report.valid and report.check("status").reason.startswith("active")


def test_an_unused_value_fails_with_the_undefined_message(vc: VcWorld) -> None:
    secured = vc.secure(vc.credential(), "di")
    vc.statuses[INDEX] = 3
    vc.publish_lists()
    assert failed(vc.verify(secured))["status"].startswith("undefined (status 0x3;")


def test_neighbouring_values_leave_the_credential_valid(vc: VcWorld) -> None:
    vc.statuses.update({INDEX - 1: 3, INDEX + 1: 3, 0: REVOKED})
    vc.revoked.add(INDEX)  # another list: not the one this credential names
    vc.publish_lists()
    assert vc.verify(vc.secure(vc.credential(), "di")).valid


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_older_revoked_credential_fails_status_naming_the_list_update(
    vc: VcWorld, fmt: str
) -> None:
    secured = vc.secure(vc.credential(purpose="revocation"), fmt)
    vc.revoked.add(INDEX)
    vc.publish_lists(changed=CHANGED)
    problems = failed(vc.verify(secured))
    assert list(problems) == ["status"], problems
    # The list's validFrom is its last change (any credential's): no "revoked since" claim.
    assert problems["status"].startswith("revoked (status list updated 2026-04-02T12:00:00Z;")
    assert "since" not in problems["status"]
    assert f"index {INDEX}" in problems["status"]


def test_other_revoked_indices_leave_an_older_credential_valid(vc: VcWorld) -> None:
    vc.revoked.update({INDEX - 1, INDEX + 1, 0})
    vc.publish_lists()
    assert vc.verify(vc.secure(vc.credential(purpose="revocation"), "di")).valid


def test_a_1_bit_suspension_entry_of_another_issuer_fails_status(vc: VcWorld) -> None:
    """Extender never issued suspension entries; a verifier still reads them."""
    vc.suspended.add(INDEX)
    vc.publish_lists(as_jwt=True)
    report = vc.verify(vc.secure(vc.credential(purpose="suspension"), "jwt-eddsa"))
    assert list(failed(report)) == ["status"]
    assert report.check("status").reason.startswith("suspended (status list updated")


def _with_status(vc: VcWorld, **changes: Any) -> dict[str, Any]:
    doc = vc.credential()
    doc["credentialStatus"].update(changes)
    doc["credentialStatus"] = {k: v for k, v in doc["credentialStatus"].items() if v is not None}
    return doc


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param(
            {"statusMessage": MESSAGES_JSON[:3]},
            "statusMessage must list 4 messages for statusSize 2",
            id="three-messages",
        ),
        pytest.param(
            {"statusMessage": None}, "statusSize 2 needs a statusMessage", id="no-messages"
        ),
        pytest.param(
            {"statusMessage": [*MESSAGES_JSON[:3], {"status": "0x2", "message": "again"}]},
            "statusMessage status 0x2 is repeated",
            id="repeated-value",
        ),
        pytest.param(
            {"statusMessage": [*MESSAGES_JSON[:3], {"status": "3", "message": "x"}]},
            "is not a hexadecimal 0x... string",
            id="not-hex",
        ),
        pytest.param({"statusSize": 0}, "statusSize 0 is not a positive integer", id="size-0"),
        pytest.param({"statusSize": 9}, "at most 8 bits", id="size-9"),
        pytest.param(
            {"statusListCredential": f"{BASE}/status/revocation-1"},
            "is for 'revocation', not message",
            id="message-entry-on-a-revocation-list",
        ),
    ],
)
def test_a_malformed_message_entry_fails_status(
    vc: VcWorld, changes: dict[str, Any], reason: str
) -> None:
    report = vc.verify(vc.secure(_with_status(vc, **changes), "jwt-eddsa"))
    assert list(failed(report)) == ["status"]
    assert reason in report.check("status").reason


def test_a_message_list_shorter_than_131072_entries_fails_status(vc: VcWorld) -> None:
    url = vc.list_url("message")
    short = BitstringStatusList(MIN_ENTRIES)  # 1 bit per entry: half of what 2 bits need
    doc = status_list_credential(url, vc.did, short.encode(), "message", ISSUED)
    vc.lists[url] = add_proof(doc, vc.ed, vc.method(vc.ed), ISSUED)
    problems = failed(vc.verify(vc.secure(vc.credential(), "di")))
    assert "status list has 131072 bits, fewer than the minimum 262144" in problems["status"]


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
    url = vc.list_url("message")
    clean = BitstringStatusList(MIN_ENTRIES * 2).encode()
    vc.statuses[INDEX] = REVOKED
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
    url = vc.list_url("message")
    doc = status_list_credential(
        url,
        "did:web:evil.example",
        BitstringStatusList(MIN_ENTRIES * 2).encode(),
        "message",
        ISSUED,
    )
    vc.lists[url] = add_proof(doc, vc.ed, vc.method(vc.ed), ISSUED)
    problems = failed(vc.verify(vc.secure(vc.credential(), "di")))
    assert "issued by 'did:web:evil.example'" in problems["status"]


def test_credential_without_status_says_it_cannot_be_revoked(vc: VcWorld) -> None:
    report = vc.verify(vc.secure(vc.credential(status=None), "jwt-eddsa"))
    assert report.valid
    assert "cannot revoke" in report.check("status").reason
