"""Open Badges 3.0 credential documents (W3C VC Data Model 2.0), unsigned.

Only the data model lives here; securing is jose.py / data_integrity.py, so that one built
document can be secured either way and the two are compared like for like."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from extender.credentials.vc.encoding import multibase_b58_encode
from extender.errors import InvalidInput

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB3_SCHEMA_ID = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
# "1EdTechJsonSchemaValidator2019" is not defined by the VC 2.0 context (it would be dropped by
# JSON-LD processing); "JsonSchema" is, and names the same kind of validation.
OB3_SCHEMA_TYPE = "JsonSchema"
CREDENTIAL_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]


@dataclass(frozen=True)
class IssuerProfile:
    id: str
    name: str
    url: str
    email: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Alignment:
    target_name: str
    target_url: str
    target_code: str
    target_framework: str
    target_description: str | None = None


@dataclass(frozen=True)
class AchievementDef:
    id: str
    name: str
    description: str
    criteria_narrative: str
    achievement_type: str
    alignments: tuple[Alignment, ...] = ()
    image_url: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResultDescription:
    id: str
    name: str
    result_type: str
    allowed_values: tuple[str, ...] | None = None
    required_value: str | None = None
    value_min: str | None = None
    value_max: str | None = None


@dataclass(frozen=True)
class ResultEntry:
    result_description_id: str
    value: str
    status: str | None = None


@dataclass(frozen=True)
class EvidenceEntry:
    id: str | None
    name: str
    description: str
    narrative: str
    genre: str
    audience: str | None = None


@dataclass(frozen=True)
class StatusMessage:
    """One possible value of a multi-bit status entry and what it means."""

    status: int
    message: str


@dataclass(frozen=True)
class StatusEntry:
    """A BitstringStatusListEntry. ``status_size`` bits per entry; with more than one bit the
    entry must list a message for every possible value (Bitstring Status List v1.0)."""

    id: str
    status_list_credential: str
    status_list_index: int
    status_purpose: str = "revocation"
    status_size: int = 1
    status_messages: tuple[StatusMessage, ...] = ()


@dataclass(frozen=True)
class RelatedCredential:
    """A credential this one renews. VC 2.0 requires each relatedResource object to carry a
    digestSRI or a digestMultibase: pass ``credential_digest`` of the document it names."""

    id: str
    digest_multibase: str | None = None


def iso(moment: datetime) -> str:
    """XML Schema dateTimeStamp in UTC with a "Z", seconds precision."""
    if moment.tzinfo is None:
        raise InvalidInput("credential dates must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Inverse of iso(); accepts any offset, rejects naive or malformed dates."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError, TypeError) as exc:
        raise InvalidInput(f"not an ISO 8601 date-time: {text!r}") from exc
    if moment.tzinfo is None:
        raise InvalidInput(f"date-time without a time zone: {text!r}")
    return moment.astimezone(UTC)


def _jcs_number(value: int | float) -> str:
    """A number as RFC 8785 writes it: ECMAScript's Number::toString of the shortest
    round-trip digits (which Python's repr also finds)."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise InvalidInput(f"{value!r} cannot be written in canonical JSON")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    parts = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, parts.digits))
    k = len(digits)
    n = int(parts.exponent) + k  # value = 0.digits x 10**n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{sign}{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return f"{sign}0.{'0' * -n}{digits}"
    mantissa = digits[0] + (f".{digits[1:]}" if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"


def jcs(value: Any) -> str:
    """RFC 8785 JSON Canonicalization Scheme: object members sorted by their UTF-16 code
    units, no whitespace, strings and numbers written as ECMAScript does."""
    if isinstance(value, dict):
        members = sorted(value.items(), key=lambda item: str(item[0]).encode("utf-16-be"))
        return "{" + ",".join(f"{jcs(str(k))}:{jcs(v)}" for k, v in members) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(jcs(item) for item in value) + "]"
    if value is None or isinstance(value, bool | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return _jcs_number(value)
    raise InvalidInput(f"{type(value).__name__} cannot be written in canonical JSON")


def credential_digest(document: dict[str, Any]) -> str:
    """The digestMultibase (VC Data Integrity, Resource Integrity) of a JSON document: the
    sha2-256 multihash (0x12, 0x20, digest) of its RFC 8785 (JCS) serialization in UTF-8,
    multibase base58btc ("z"). A renewal names its predecessor with the digest of the stored,
    signed document (proof included), exactly as it is served for download."""
    digest = hashlib.sha256(jcs(document).encode("utf-8")).digest()
    return multibase_b58_encode(b"\x12\x20" + digest)


def issuer_json(issuer: IssuerProfile) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": issuer.id,
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
    }
    if issuer.email:
        doc["email"] = issuer.email
    if issuer.description:
        doc["description"] = issuer.description
    return doc


def _alignment_json(alignment: Alignment) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": ["Alignment"],
        "targetName": alignment.target_name,
        "targetUrl": alignment.target_url,
        "targetCode": alignment.target_code,
        "targetFramework": alignment.target_framework,
    }
    if alignment.target_description:
        doc["targetDescription"] = alignment.target_description
    return doc


def _result_description_json(description: ResultDescription) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": description.id,
        "type": ["ResultDescription"],
        "name": description.name,
        "resultType": description.result_type,
    }
    if description.allowed_values is not None:
        doc["allowedValue"] = list(description.allowed_values)
    optional = {
        "requiredValue": description.required_value,
        "valueMin": description.value_min,
        "valueMax": description.value_max,
    }
    doc.update({name: value for name, value in optional.items() if value is not None})
    return doc


def achievement_json(
    achievement: AchievementDef,
    result_descriptions: Sequence[ResultDescription],
    issuer: IssuerProfile | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": achievement.id,
        "type": ["Achievement"],
        "achievementType": achievement.achievement_type,
        "name": achievement.name,
        "description": achievement.description,
        "criteria": {"narrative": achievement.criteria_narrative},
    }
    if issuer is not None:
        doc["creator"] = issuer_json(issuer)
    if achievement.alignments:
        doc["alignment"] = [_alignment_json(a) for a in achievement.alignments]
    if achievement.image_url:
        doc["image"] = {"id": achievement.image_url, "type": "Image"}
    if achievement.tags:
        doc["tag"] = list(achievement.tags)
    if result_descriptions:
        doc["resultDescription"] = [_result_description_json(d) for d in result_descriptions]
    return doc


def _result_json(result: ResultEntry) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": ["Result"],
        "resultDescription": result.result_description_id,
        "value": result.value,
    }
    if result.status:
        doc["status"] = result.status
    return doc


def _evidence_json(evidence: EvidenceEntry) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": ["Evidence"]}
    if evidence.id:
        doc["id"] = evidence.id
    doc.update(
        name=evidence.name,
        description=evidence.description,
        narrative=evidence.narrative,
        genre=evidence.genre,
    )
    if evidence.audience:
        doc["audience"] = evidence.audience
    return doc


def status_json(status: StatusEntry) -> dict[str, Any]:
    if status.status_list_index < 0:
        raise InvalidInput("statusListIndex must be zero or positive")
    if status.status_size < 1:
        raise InvalidInput("statusSize must be a positive number of bits")
    doc: dict[str, Any] = {
        "id": status.id,
        "type": "BitstringStatusListEntry",
        "statusPurpose": status.status_purpose,
        "statusListIndex": str(status.status_list_index),
        "statusListCredential": status.status_list_credential,
    }
    if status.status_size > 1:
        doc["statusSize"] = status.status_size
    if status.status_size > 1 or status.status_messages:
        values = sorted(m.status for m in status.status_messages)
        if values != list(range(1 << status.status_size)):
            raise InvalidInput(
                f"statusMessage must give one message for each of the {1 << status.status_size} "
                f"values of a {status.status_size}-bit status"
            )
        doc["statusMessage"] = [
            {"status": hex(m.status), "message": m.message}
            for m in sorted(status.status_messages, key=lambda m: m.status)
        ]
    return doc


def _related_json(related: str | RelatedCredential) -> dict[str, Any]:
    item = related if isinstance(related, RelatedCredential) else RelatedCredential(related)
    doc: dict[str, Any] = {"id": item.id}
    if item.digest_multibase:
        doc["digestMultibase"] = item.digest_multibase
    return doc


def _check_results(
    results: Sequence[ResultEntry], result_descriptions: Sequence[ResultDescription]
) -> None:
    known = {description.id for description in result_descriptions}
    for result in results:
        if result.result_description_id not in known:
            raise InvalidInput(
                f"result refers to unknown result description {result.result_description_id!r}"
            )


def build_credential(
    *,
    credential_id: str,
    issuer: IssuerProfile,
    achievement: AchievementDef,
    result_descriptions: Sequence[ResultDescription],
    subject_id: str,
    subject_name: str,
    results: Sequence[ResultEntry],
    evidence: Sequence[EvidenceEntry],
    valid_from: datetime,
    valid_until: datetime | None,
    status: StatusEntry | None,
    name: str,
    related: Sequence[str | RelatedCredential] = (),
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential. The recipient's name travels both as an OB 3.0
    IdentityObject (identityType "name", not hashed) and as the subject's "name"."""
    if valid_until is not None and valid_until <= valid_from:
        raise InvalidInput("validUntil must be after validFrom")
    _check_results(results, result_descriptions)
    subject: dict[str, Any] = {
        "id": subject_id,
        "type": ["AchievementSubject"],
        "name": subject_name,
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": subject_name,
            }
        ],
        "achievement": achievement_json(achievement, result_descriptions, issuer),
    }
    if results:
        subject["result"] = [_result_json(r) for r in results]
    doc: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, OB3_CONTEXT],
        "id": credential_id,
        "type": list(CREDENTIAL_TYPES),
        "name": name,
        "issuer": issuer_json(issuer),
        "validFrom": iso(valid_from),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB3_SCHEMA_ID, "type": OB3_SCHEMA_TYPE}],
    }
    if valid_until is not None:
        doc["validUntil"] = iso(valid_until)
    if evidence:
        doc["evidence"] = [_evidence_json(e) for e in evidence]
    if status is not None:
        doc["credentialStatus"] = status_json(status)
    if related:
        doc["relatedResource"] = [_related_json(r) for r in related]
    return doc
