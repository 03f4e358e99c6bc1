"""Benchmark the verifiable-credential core against raw Ed25519 measured in the same run.

    python benchmarks/bench_credentials.py [--quick] [--count N]

(a) Issuance: an Open Badges 3.0 credential built and secured per iteration, as a VC-JOSE JWT
    (EdDSA and RS256) and with an embedded Data Integrity proof (eddsa-rdfc-2022, RDF
    canonicalization with pyld). Credentials per second, and the cost of one issuance as a
    multiple of one raw Ed25519 signature over the same credential's JSON bytes.
(b) Verification: the full `verify()` (format, contexts, schema, signature, issuer key,
    validity, status with the status list's own signature) and the signature check alone,
    per second and as a multiple of one raw Ed25519 verification of the same bytes.
(c) Status list for 100,000 credentials, 2 bits each as Extender issues them (statusPurpose
    "message": active, suspended, revoked): revoke 1% and suspend 0.5%, encode (GZIP +
    multibase), decode, and read the value of every one of the 100,000 entries; wall times.

Credentials carry the status entry Extender issues (message list, statusSize 2).

Prints figures and ratios only; no thresholds.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from extender.credentials.status import STATUS_MESSAGES
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
    add_proof,
    build_credential,
    decode_jwt,
    did_web,
    encode_jwt,
    generate_key,
    status_list_credential,
    verify,
    verify_proof,
)
from extender.credentials.vc.did import verification_method_id

BASE = "https://credentials.example.org"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
ISSUED = datetime(2026, 3, 1, tzinfo=UTC)
LIST_URL = f"{BASE}/status/message-1"
STATUS_SIZE = 2
LIST_BITS = 131072 * STATUS_SIZE  # the spec's minimum number of entries
STATUS_COUNT = 100_000


def _credential(did: str, serial: int) -> dict[str, Any]:
    exam = f"{BASE}/achievements/cpehr#exam"
    return build_credential(
        credential_id=f"urn:uuid:00000000-0000-4000-8000-{serial:012d}",
        issuer=IssuerProfile(id=did, name="Extender Health IT Academy", url=BASE),
        achievement=AchievementDef(
            id=f"{BASE}/achievements/cpehr",
            name="Certified Professional in Electronic Health Records",
            description="Can configure, support and audit an EHR in a clinical setting.",
            criteria_narrative="Pass the CPEHR exam and three practicum scenarios.",
            achievement_type="Certification",
            alignments=(
                Alignment(
                    "Reconcile a medication list",
                    f"{BASE}/objectives/ehr-3",
                    "EHR-3",
                    "Extender framework",
                ),
            ),
        ),
        result_descriptions=[
            ResultDescription(
                exam,
                "CPEHR exam scaled score",
                "ScaledScore",
                value_min="100",
                value_max="500",
                required_value="300",
            ),
        ],
        subject_id=f"urn:uuid:10000000-0000-4000-8000-{serial:012d}",
        subject_name="Ada Okafor",
        results=[ResultEntry(exam, "412", "Completed")],
        evidence=[
            EvidenceEntry(
                f"{BASE}/practicum/attempts/{serial}",
                "Medication reconciliation",
                "Score 88%, 41 minutes.",
                "Objectives EHR-3, EHR-5.",
                "Practicum",
            ),
        ],
        valid_from=ISSUED,
        valid_until=datetime(2028, 3, 1, tzinfo=UTC),
        status=StatusEntry(
            f"{LIST_URL}#{serial}",
            LIST_URL,
            serial % STATUS_COUNT,
            status_purpose="message",
            status_size=STATUS_SIZE,
            status_messages=STATUS_MESSAGES,
        ),
        name="CPEHR certification",
    )


def _rate(count: int, run: Callable[[int], object]) -> float:
    """Operations per second for `count` calls of run(i)."""
    start = time.perf_counter()
    for index in range(count):
        run(index)
    return count / (time.perf_counter() - start)


def _line(label: str, per_second: float, raw: float | None = None) -> None:
    ratio = f"   {raw / per_second:8.1f}x the cost of raw Ed25519" if raw else ""
    print(f"  {label:<44} {per_second:>10,.1f} /s{ratio}")


def _keys() -> tuple[str, IssuerKey, IssuerKey, Callable[[str], IssuerKey | None]]:
    did = did_web("credentials.example.org")
    ed, rsa = generate_key("EdDSA"), generate_key("RS256")
    known = {verification_method_id(did, k): k.public_only() for k in (ed, rsa)}
    return did, ed, rsa, known.get


def bench_formats(count: int) -> None:
    did, ed, rsa, resolve_key = _keys()
    bits = BitstringStatusList(LIST_BITS)
    listing = status_list_credential(LIST_URL, did, bits.encode(), "message", ISSUED)
    lists: dict[str, Any] = {LIST_URL: encode_jwt(listing, ed, verification_method_id(did, ed))}

    sample = _credential(did, 1)
    payload = json.dumps(sample, separators=(",", ":")).encode()
    private = ed25519.Ed25519PrivateKey.generate()
    public = private.public_key()
    signature = private.sign(payload)
    raw_count = count * 50
    raw_sign = _rate(raw_count, lambda _: private.sign(payload))
    raw_verify = _rate(raw_count, lambda _: public.verify(signature, payload))
    print(f"credential JSON: {len(payload):,} bytes; {count} credentials per format")
    _line("raw Ed25519 sign (same JSON bytes)", raw_sign)
    _line("raw Ed25519 verify", raw_verify)

    methods = {key.alg: verification_method_id(did, key) for key in (ed, rsa)}
    issuers: dict[str, Callable[[dict[str, Any]], Any]] = {
        "JWT EdDSA": lambda doc: encode_jwt(doc, ed, methods["EdDSA"]),
        "JWT RS256": lambda doc: encode_jwt(doc, rsa, methods["RS256"]),
        "Data Integrity eddsa-rdfc-2022": lambda doc: add_proof(doc, ed, methods["EdDSA"], ISSUED),
    }
    print("issuance (build the OB 3.0 document + secure it)")
    secured: dict[str, list[Any]] = {}
    for name, secure in issuers.items():
        made: list[Any] = []
        secured[name] = made
        rate = _rate(count, _issue(secure, did, made))
        _line(name, rate, raw_sign if "RS256" not in name else None)

    print("verification: full verify() (7 checks incl. the status list's signature)")
    for name, items in secured.items():
        report = verify(items[0], resolve_key=resolve_key, resolve_status_list=lists.get, now=NOW)
        assert report.valid, [c for c in report.checks if not c.passed]
        rate = _rate(count, _full(items, resolve_key, lists))
        _line(name, rate, raw_verify if "RS256" not in name else None)

    print("verification: signature check only")
    for name, items in secured.items():
        rate = _rate(count, _signature_only(items, resolve_key))
        _line(name, rate, raw_verify if "RS256" not in name else None)


def _issue(
    secure: Callable[[dict[str, Any]], Any], did: str, made: list[Any]
) -> Callable[[int], object]:
    def run(index: int) -> object:
        made.append(secure(_credential(did, index)))
        return None

    return run


def _full(
    items: list[Any], resolve_key: Callable[[str], IssuerKey | None], lists: dict[str, Any]
) -> Callable[[int], object]:
    def run(index: int) -> object:
        return verify(items[index], resolve_key=resolve_key, resolve_status_list=lists.get, now=NOW)

    return run


def _signature_only(
    items: list[Any], resolve_key: Callable[[str], IssuerKey | None]
) -> Callable[[int], object]:
    def run(index: int) -> object:
        item = items[index]
        if isinstance(item, str):
            return decode_jwt(item, resolve_key)
        return verify_proof(item, resolve_key)

    return run


def bench_status_list(seed: int) -> None:
    rng = random.Random(seed)
    changed = rng.sample(range(STATUS_COUNT), STATUS_COUNT * 3 // 200)
    revoked, suspended = changed[: STATUS_COUNT // 100], changed[STATUS_COUNT // 100 :]
    print(
        f"status list: {STATUS_COUNT:,} credentials, {STATUS_SIZE} bits each,"
        f" {len(revoked):,} revoked, {len(suspended):,} suspended"
    )
    start = time.perf_counter()
    bits = BitstringStatusList(LIST_BITS)
    for index in revoked:
        bits.set_value(index, STATUS_SIZE, 2)
    for index in suspended:
        bits.set_value(index, STATUS_SIZE, 1)
    encoded = bits.encode()
    encode_s = time.perf_counter() - start
    start = time.perf_counter()
    decoded = BitstringStatusList.decode(encoded, min_length=LIST_BITS)
    decode_s = time.perf_counter() - start
    start = time.perf_counter()
    values = [decoded.get_value(index, STATUS_SIZE) for index in range(STATUS_COUNT)]
    lookup_s = time.perf_counter() - start
    assert values.count(2) == len(revoked) and values.count(1) == len(suspended)
    print(f"  set + encode          {encode_s * 1000:8.2f} ms  ({len(encoded):,} characters)")
    print(f"  decode                {decode_s * 1000:8.2f} ms")
    print(
        f"  look up all {STATUS_COUNT:,}   {lookup_s * 1000:8.2f} ms"
        f"  ({lookup_s / STATUS_COUNT * 1e9:,.0f} ns per credential)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 credentials per format")
    parser.add_argument("--count", type=int, default=200, help="credentials per format")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    count = 20 if args.quick else max(1, args.count)
    print(f"Python {platform.python_version()} on {platform.machine()}")
    bench_formats(count)
    bench_status_list(args.seed)


if __name__ == "__main__":
    main()
