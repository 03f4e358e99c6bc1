"""Practice staff user accounts and the least-privilege policy they are audited against.

Accounts are plain dicts, outside the FHIR bundle, because in a real EHR user administration
is not FHIR data; the practicum shows them to the learner as the practice's "user list".
"""

from __future__ import annotations

import random
from typing import Any

from extender.practicum.generator.answer_key import OverprivilegedAccount
from extender.practicum.generator.practice import (
    BILLING,
    FRONT_DESK,
    MEDICAL_ASSISTANT,
    NURSE_PRACTITIONER,
    PHYSICIAN,
    PHYSICIAN_ASSISTANT,
    PRACTICE_MANAGER,
    REGISTERED_NURSE,
    Practice,
)

ROLES = (
    "schedule",
    "register_patient",
    "chart_read",
    "chart_write",
    "order_entry",
    "e_prescribe",
    "sign_results",
    "billing",
    "reports",
    "user_admin",
    "security_admin",
    "emergency_access",
)

_PRESCRIBER = (
    "schedule",
    "chart_read",
    "chart_write",
    "order_entry",
    "e_prescribe",
    "sign_results",
    "reports",
)

ACCESS_POLICY: dict[str, tuple[str, ...]] = {
    PHYSICIAN: (*_PRESCRIBER, "emergency_access"),
    NURSE_PRACTITIONER: (*_PRESCRIBER, "emergency_access"),
    PHYSICIAN_ASSISTANT: (*_PRESCRIBER, "emergency_access"),
    REGISTERED_NURSE: ("schedule", "chart_read", "chart_write", "order_entry"),
    MEDICAL_ASSISTANT: ("schedule", "register_patient", "chart_read", "chart_write"),
    FRONT_DESK: ("schedule", "register_patient"),
    BILLING: ("billing", "chart_read"),
    PRACTICE_MANAGER: ("schedule", "register_patient", "billing", "reports", "user_admin"),
}
"""Job title -> the roles that job needs (minimum necessary, as HIPAA asks)."""

# The excess roles that show up in real audits for each kind of job.
_TYPICAL_EXCESS: dict[str, tuple[str, ...]] = {
    FRONT_DESK: ("chart_write", "e_prescribe", "user_admin", "billing", "chart_read"),
    MEDICAL_ASSISTANT: ("e_prescribe", "sign_results", "user_admin", "order_entry"),
    BILLING: ("chart_write", "user_admin", "security_admin", "order_entry"),
    PRACTICE_MANAGER: ("e_prescribe", "security_admin", "chart_write", "emergency_access"),
    REGISTERED_NURSE: ("e_prescribe", "sign_results", "user_admin"),
}


def staff_accounts(practice: Practice) -> list[dict[str, Any]]:
    return [
        {
            "username": member.username,
            "name": member.display,
            "job_title": member.job_title,
            "roles": list(ACCESS_POLICY[member.job_title]),
            "practitioner": member.practitioner_url,
            "active": True,
        }
        for member in practice.staff
    ]


def plant_overprivileged(
    accounts: list[dict[str, Any]], count: int, seed: int
) -> list[OverprivilegedAccount]:
    """Grant ``count`` non-clinician accounts roles beyond their job title's policy."""
    rng = random.Random(f"{seed}:privileges")
    candidates = [a for a in accounts if a["job_title"] in _TYPICAL_EXCESS]
    rng.shuffle(candidates)
    planted: list[OverprivilegedAccount] = []
    for account in candidates[:count]:
        options = [r for r in _TYPICAL_EXCESS[account["job_title"]] if r not in account["roles"]]
        excess = tuple(rng.sample(options, k=min(len(options), rng.randint(1, 2))))
        account["roles"] = [r for r in ROLES if r in account["roles"] or r in excess]
        planted.append(OverprivilegedAccount(account["username"], account["job_title"], excess))
    return planted


def excess_roles(account: dict[str, Any]) -> list[str]:
    """What a correct audit of ``account`` against ACCESS_POLICY would flag."""
    allowed = set(ACCESS_POLICY[account["job_title"]])
    return [r for r in account["roles"] if r not in allowed]
