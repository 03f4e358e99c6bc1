"""The built OB 3.0 document and its validation against the shipped AchievementCredential
JSON schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from extender.credentials.vc import RelatedCredential, ResultEntry, StatusEntry, validate_ob3
from extender.credentials.vc.ob3 import (
    OB3_CONTEXT,
    OB3_SCHEMA_ID,
    VC_V2_CONTEXT,
    credential_digest,
    parse_iso,
)
from extender.credentials.vc.schema import ob3_schema
from extender.errors import InvalidInput
from tests.credentials.test_vc_golden import ISSUED, UNTIL, make_world


def _doc(**overrides: Any) -> dict[str, Any]:
    return make_world().credential(**overrides)


def test_built_credential_has_the_ob3_shape_and_passes_the_schema() -> None:
    doc = _doc()
    assert doc["@context"] == [VC_V2_CONTEXT, OB3_CONTEXT]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["validFrom"] == "2026-03-01T09:30:00Z"
    assert doc["validUntil"] == "2028-03-01T09:30:00Z"
    subject = doc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["achievement"]["achievementType"] == "Certification"
    assert subject["achievement"]["alignment"][0]["targetCode"] == "EHR-3"
    assert subject["result"][0] == {
        "type": ["Result"],
        "resultDescription": "https://credentials.example.org:8443/achievements/cpehr#exam",
        "value": "412",
        "status": "Completed",
    }
    assert doc["credentialSchema"] == [{"id": OB3_SCHEMA_ID, "type": "JsonSchema"}]
    assert doc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert doc["credentialStatus"]["statusListIndex"] == "4242"
    assert ob3_schema()["$id"] == OB3_SCHEMA_ID
    assert validate_ob3(doc) == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("name",), "$.name: required property is missing"),
        (("validFrom",), "$.validFrom: required property is missing"),
        (("issuer",), "$.issuer: required property is missing"),
        (("credentialSubject", "achievement"), "$.credentialSubject.achievement: required"),
        (
            ("credentialSubject", "achievement", "criteria"),
            "$.credentialSubject.achievement.criteria",
        ),
        (("credentialSubject", "achievement", "name"), "$.credentialSubject.achievement.name"),
        (("issuer", "type"), "$.issuer.type: required property is missing"),
        (("credentialStatus", "id"), "$.credentialStatus.id: required property is missing"),
    ],
)
def test_removing_a_required_field_fails_naming_it(path: tuple[str, ...], message: str) -> None:
    doc = _doc()
    node = doc
    for name in path[:-1]:
        node = node[name]
    del node[path[-1]]
    problems = validate_ob3(doc)
    assert any(problem.startswith(message) for problem in problems), problems


def test_wrong_values_fail_naming_the_path() -> None:
    doc = _doc()
    doc["@context"] = [OB3_CONTEXT, VC_V2_CONTEXT]
    doc["validUntil"] = "next year"
    doc["credentialSubject"]["achievement"]["achievementType"] = "Trophy"
    doc["credentialSubject"]["result"][1]["status"] = "Great"
    doc["evidence"][0]["type"] = ["Proof"]
    problems = "\n".join(validate_ob3(doc))
    assert "$['@context'][0]" in problems
    assert "$.validUntil: 'next year' is not a 'date-time'" in problems
    assert "$.credentialSubject.achievement.achievementType" in problems
    assert "$.credentialSubject.result[1].status" in problems
    assert "$.evidence[0].type" in problems


def test_extension_achievement_type_is_allowed() -> None:
    doc = _doc()
    doc["credentialSubject"]["achievement"]["achievementType"] = "ext:PracticumScenario"
    assert validate_ob3(doc) == []


def test_non_object_is_one_problem() -> None:
    assert validate_ob3([]) == ["$: the credential must be a JSON object"]  # type: ignore[arg-type]


def test_related_credentials_for_renewal() -> None:
    old = _doc()
    digest = credential_digest(old)
    assert digest.startswith("zQm")  # base58btc sha2-256 multihash
    doc = _doc(related=["urn:uuid:old-1", RelatedCredential("urn:uuid:old-2", digest)])
    assert doc["relatedResource"] == [
        {"id": "urn:uuid:old-1"},
        {"id": "urn:uuid:old-2", "digestMultibase": digest},
    ]
    assert validate_ob3(doc) == []
    assert credential_digest(dict(reversed(list(old.items())))) == digest


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"valid_until": ISSUED}, "validUntil must be after validFrom"),
        ({"valid_from": ISSUED.replace(tzinfo=None), "valid_until": None}, "timezone-aware"),
        ({"results": [ResultEntry("urn:x:unknown", "1")]}, "unknown result description"),
        ({"status": StatusEntry("https://x.example/s#1", "https://x.example/s", -1)}, "zero"),
    ],
)
def test_build_refuses_inconsistent_input(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        _doc(**overrides)


def test_optional_parts_can_be_left_out() -> None:
    doc = _doc(valid_until=None, status=None, evidence=[], results=[])
    assert not {"validUntil", "credentialStatus", "evidence"} & set(doc)
    assert "result" not in doc["credentialSubject"]
    assert validate_ob3(doc) == []


def test_dates_are_utc_seconds() -> None:
    moment = UNTIL + timedelta(microseconds=999)
    doc = _doc(valid_until=moment)
    assert doc["validUntil"] == "2028-03-01T09:30:00Z"
    assert parse_iso("2028-03-01T10:30:00+01:00") == UNTIL
    for bad in ("2028-03-01T09:30:00", "01/03/2028", ""):
        with pytest.raises(InvalidInput):
            parse_iso(bad)
