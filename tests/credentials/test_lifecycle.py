"""After issuance: revocation and suspension through the status lists (the 2-bit message list
of new credentials, and the 1-bit revocation list with its suspension twin that credentials
issued before it name), key rotation, expiry, and renewal by continuing education or
re-examination."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.config import Settings
from extender.credentials import issuance, issuer, lifecycle, status, verification
from extender.credentials.models import Credential, StatusList
from extender.credentials.requirements import add_months
from extender.credentials.vc import data_integrity, jose
from extender.credentials.vc.ob3 import credential_digest
from extender.credentials.vc.verify import VerificationReport
from extender.errors import Conflict, InvalidInput, NotFound
from tests.conftest import World
from tests.credentials.factories import passed_exam

STAFF = Actor(None, "program@example.org")
NOW = datetime.now(UTC).replace(microsecond=0)


def _cphit(db: Session, world: World, settings: Settings, when: datetime = NOW) -> Credential:
    learner = world.users["learner"]
    passed_exam(db, learner, "CPHIT", when - timedelta(hours=2))
    (cred,) = issuance.issue_due(db, STAFF, learner.id, settings, now=when)
    assert isinstance(cred, Credential)
    return cred


def _failed(report: VerificationReport) -> dict[str, str]:
    return {c.name: c.reason for c in report.checks if not c.passed}


def test_revocation_makes_verification_fail_on_status(
    db: Session, world: World, settings: Settings
) -> None:
    cred = _cphit(db, world, settings)
    with pytest.raises(InvalidInput, match="reason"):
        lifecycle.change_status(db, STAFF, cred, "revoke", "")
    lifecycle.change_status(db, STAFF, cred, "revoke", "exam irregularity")
    for form in (cred.document, cred.jwt):
        report = verification.verify_local(db, settings, form)
        assert not report.valid
        assert _failed(report).keys() == {"status"}
        assert _failed(report)["status"].startswith("revoked (status 0x2; status list updated")
    with pytest.raises(Conflict):
        lifecycle.change_status(db, STAFF, cred, "reinstate", "oops")


def test_suspension_is_reversible(db: Session, world: World, settings: Settings) -> None:
    cred = _cphit(db, world, settings)
    lifecycle.change_status(db, STAFF, cred, "suspend", "under review")
    report = verification.verify_local(db, settings, cred.document)
    assert _failed(report)["status"].startswith("suspended (status 0x1;")
    # Any verifier holding the published list sees it: no twin list is needed.
    assert _offline(db, settings, cred).check("status").reason.startswith("suspended")
    lifecycle.change_status(db, STAFF, cred, "reinstate", "review closed")
    assert verification.verify_local(db, settings, cred.document).valid
    assert _offline(db, settings, cred).valid


def _offline(db: Session, settings: Settings, cred: Credential, *names: str) -> VerificationReport:
    """A generic verifier with the issuer's keys and the published lists ``names`` (by
    default, the one the credential names)."""
    keys = {k.kid: k for k in issuer.public_keys(db)}
    url = cred.document["credentialStatus"]["statusListCredential"]
    names = names or (url.rsplit("/", 1)[1],)
    lists = [status.signed_list_credential(db, settings, name) for name in names]
    return verification.verify_offline(cred.document, keys, lists)


def _as_issued_before_message_lists(db: Session, settings: Settings, cred: Credential) -> str:
    """Rewrite a credential into the form issued before message lists: a 1-bit revocation
    entry on a "revocation" list (published with its suspension twin), signed as then."""
    legacy = StatusList(id="legacy1", purpose="revocation", length=status.LIST_LENGTH, used=1)
    db.add(legacy)
    db.flush()
    index = 777
    url = status.list_url(settings, legacy.id, "revocation")
    doc = {k: v for k, v in cred.document.items() if k != "proof"}
    doc["credentialStatus"] = {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": url,
    }
    key = issuer.signing_key(db, settings)
    method = issuer.verification_method(settings, key.kid)
    cred.document = data_integrity.add_proof(doc, key, method, cred.issued_at)
    cred.jwt = jose.encode_jwt(doc, key, method)
    cred.status_list_id, cred.status_index = legacy.id, index
    db.flush()
    return legacy.id


def test_an_older_revocation_entry_credential_keeps_verifying_as_before(
    db: Session, world: World, settings: Settings
) -> None:
    cred = _cphit(db, world, settings)
    legacy = _as_issued_before_message_lists(db, settings, cred)
    for form in (cred.document, cred.jwt):
        report = verification.verify_local(db, settings, form)
        assert report.valid, _failed(report)
        assert "not revoked" in report.check("status").reason
        assert "not suspended" in report.check("status").reason  # the twin list, checked too
    with pytest.raises(NotFound):
        status.signed_list_credential(db, settings, f"message-{legacy}")
    # Our own verification checks the suspension twin; a generic verifier given the list the
    # credential names sees only revocations (as before: documented).
    lifecycle.change_status(db, STAFF, cred, "suspend", "under review")
    assert (
        "suspended (status list updated"
        in _failed(verification.verify_local(db, settings, cred.document))["status"]
    )
    assert _offline(db, settings, cred).valid
    lifecycle.change_status(db, STAFF, cred, "reinstate", "review closed")
    assert verification.verify_local(db, settings, cred.document).valid
    lifecycle.change_status(db, STAFF, cred, "revoke", "exam irregularity")
    for report in (
        verification.verify_local(db, settings, cred.jwt),
        _offline(db, settings, cred),
    ):
        assert _failed(report).keys() == {"status"}
        assert _failed(report)["status"].startswith("revoked (status list updated")
    # New credentials never go to the older list.
    other = world.users["other_learner"]
    passed_exam(db, other, "CPHIT", NOW - timedelta(hours=1))
    (fresh,) = issuance.issue_due(db, STAFF, other.id, settings)
    assert isinstance(fresh, Credential) and fresh.status_list_id != legacy
    assert fresh.document["credentialStatus"]["statusPurpose"] == "message"


def test_rotation_keeps_old_credentials_verifiable(
    db: Session, world: World, settings: Settings
) -> None:
    old = _cphit(db, world, settings)
    new_key = issuer.rotate_key(db, STAFF, settings, "EdDSA")
    assert new_key.kid != old.kid
    assert verification.verify_local(db, settings, old.document).valid
    assert verification.verify_local(db, settings, old.jwt).valid
    other = world.users["other_learner"]
    passed_exam(db, other, "CPHIT", NOW)
    (fresh,) = issuance.issue_due(db, STAFF, other.id, settings)
    assert isinstance(fresh, Credential) and fresh.kid == new_key.kid
    assert verification.verify_local(db, settings, fresh.document).valid
    with pytest.raises(InvalidInput, match="unknown key algorithm"):
        issuer.rotate_key(db, STAFF, settings, "HS256")


def test_an_rs256_jwt_of_the_same_credential_verifies(
    db: Session, world: World, settings: Settings
) -> None:
    cred = _cphit(db, world, settings)
    token = issuance.jwt_with(db, settings, cred, "RS256")
    report = verification.verify_local(db, settings, token)
    assert report.valid, _failed(report)


def test_it_expires_by_valid_until(db: Session, world: World, settings: Settings) -> None:
    issued = add_months(NOW, -25)
    cred = _cphit(db, world, settings, when=issued)
    assert lifecycle.effective_status(cred) == "expired"
    report = verification.verify_local(db, settings, cred.document)
    assert _failed(report).keys() == {"validity"}


def test_tampering_with_a_stored_credential_fails_the_signature(
    db: Session, world: World, settings: Settings
) -> None:
    cred = _cphit(db, world, settings)
    doc = copy.deepcopy(cred.document)
    doc["credentialSubject"]["result"][0]["value"] = "500"
    assert "signature" in _failed(verification.verify_local(db, settings, doc))


def test_renewal_by_ce_credits_issues_a_linked_credential(
    db: Session, world: World, settings: Settings
) -> None:
    learner = world.users["learner"]
    cred = _cphit(db, world, settings, when=add_months(NOW, -20))
    # Outside the renewal window nothing happens, whatever the credits.
    for n in range(3):
        lifecycle.record_ce(
            db,
            STAFF,
            user=learner,
            track="cphit",
            credits=7,
            title=f"Webinar {n}",
            provider="HIMSS",
            completed_on=date.today() - timedelta(days=30 * n),
        )
    early = add_months(NOW, -3)
    assert issuance.issue_due(db, STAFF, learner.id, settings, now=early) == []
    (renewed,) = issuance.issue_due(db, STAFF, learner.id, settings)
    assert isinstance(renewed, Credential)
    assert renewed.replaces_id == cred.id and renewed.renewal_basis == "ce"
    assert renewed.document["relatedResource"] == [
        {
            "id": f"http://127.0.0.1:8000/credentials/{cred.id}",
            # VC 2.0: a related resource carries a digest; that of the stored signed document.
            "digestMultibase": credential_digest(cred.document),
        }
    ]
    assert credential_digest(cred.document).startswith("zQm")
    assert cred.valid_until is not None and renewed.valid_until == add_months(cred.valid_until, 24)
    ce = [e for e in renewed.document["evidence"] if e["genre"] == "Continuing education"]
    assert len(ce) == 3
    assert verification.verify_local(db, settings, renewed.document).valid
    assert issuance.issue_due(db, STAFF, learner.id, settings) == []


def test_not_enough_credits_do_not_renew(db: Session, world: World, settings: Settings) -> None:
    learner = world.users["learner"]
    _cphit(db, world, settings, when=add_months(NOW, -22))
    lifecycle.record_ce(
        db,
        STAFF,
        user=learner,
        track="CPHIT",
        credits=19.5,
        title="Course",
        provider="AHIMA",
        completed_on=date.today(),
    )
    assert issuance.issue_due(db, STAFF, learner.id, settings) == []


def test_renewal_by_reexamination_after_expiry(
    db: Session, world: World, settings: Settings
) -> None:
    learner = world.users["learner"]
    cred = _cphit(db, world, settings, when=add_months(NOW, -26))
    passed_exam(db, learner, "CPHIT", NOW - timedelta(days=1), scaled=402)
    (renewed,) = issuance.issue_due(db, STAFF, learner.id, settings)
    assert isinstance(renewed, Credential)
    assert renewed.replaces_id == cred.id and renewed.renewal_basis == "reexam"
    assert renewed.valid_until == add_months(renewed.valid_from, 24)
    scores = [r["value"] for r in renewed.document["credentialSubject"]["result"]]
    assert "402" in scores


def test_ce_input_is_checked(db: Session, world: World) -> None:
    learner = world.users["learner"]
    with pytest.raises(InvalidInput, match="credits"):
        lifecycle.record_ce(
            db,
            STAFF,
            user=learner,
            track="CPHIT",
            credits=0,
            title="t",
            provider="p",
            completed_on=date.today(),
        )
    with pytest.raises(InvalidInput, match="future"):
        lifecycle.record_ce(
            db,
            STAFF,
            user=learner,
            track="CPHIT",
            credits=1,
            title="t",
            provider="p",
            completed_on=date.today() + timedelta(days=2),
        )
