"""The audit trail looks like a working practice, so planted snooping has to be found."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from extender.practicum.generator import GeneratedPractice

from .conftest import Resource

ByType = dict[str, list[tuple[str, Resource]]]


def test_it_records_rest_reads_and_searches_within_the_audit_window(
    practice: GeneratedPractice, by_type: ByType, by_url: dict[str, Resource]
) -> None:
    events = [e for _, e in by_type["AuditEvent"]]
    as_of = practice.params.as_of
    start = as_of - timedelta(days=practice.params.audit_days)
    subtypes = Counter(e["subtype"][0]["code"] for e in events)
    assert set(subtypes) == {"read", "search-type"}
    for event in events:
        assert event["type"]["code"] == "rest"
        assert start.isoformat() <= event["recorded"][:10] <= as_of.isoformat()
        assert by_url[event["entity"][0]["what"]["reference"]]["resourceType"] == "Patient"
        assert by_url[event["agent"][0]["who"]["reference"]]["resourceType"] == "Practitioner"
        assert by_url[event["source"]["observer"]["reference"]]["resourceType"] == "Device"


def test_it_lists_events_in_time_order_so_position_reveals_nothing(by_type: ByType) -> None:
    recorded = [datetime.fromisoformat(e["recorded"]) for _, e in by_type["AuditEvent"]]
    assert recorded == sorted(recorded)


def test_it_includes_legitimate_after_hours_access_as_a_decoy(
    practice: GeneratedPractice, by_type: ByType
) -> None:
    planted = {url for a in practice.answer_key.inappropriate_accesses for url in a.audit_events}
    evening = [
        url
        for url, e in by_type["AuditEvent"]
        if datetime.fromisoformat(e["recorded"]).hour >= 17 and url not in planted
    ]
    assert evening, "clinicians finishing notes after clinic should appear in the trail"


def test_it_keeps_planted_events_a_small_share_of_the_trail(
    practice: GeneratedPractice, by_type: ByType
) -> None:
    planted = sum(len(a.audit_events) for a in practice.answer_key.inappropriate_accesses)
    assert planted < 0.25 * len(by_type["AuditEvent"])
