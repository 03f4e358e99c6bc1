"""Grader "provisioning": carry out a staffing memo under least privilege.

Submission: none; the evidence is the sandbox's user list (``state.staff``) after the learner's
work, judged against the access policy the practice publishes (``state.access_policy``).

The memo must read the same for every learner of the scenario, yet scenario files may not carry
extra keys, so it is defined here: the two new hires are constants (their names are invented
and cannot collide with generated staff, whose surnames come from a fixed list), and the
departing employee is chosen by a rule over the practice's staff directory: the front-desk
receptionist whose username sorts first. The directory (Practitioner and PractitionerRole
resources) is read rather than the user list, because the learner edits the user list and the
rule must not move when they do. The brief names that person for the scenario's fixed seed.

Rubric (100 points):

- each new hire (15 each): an active account with the memo's username, title and exactly the
  roles the policy gives that title;
- the departure (20): the account deactivated (half credit if deleted: deleting a user leaves
  the audit trail pointing at nobody, and HIPAA expects activity to stay attributable);
- each planted over-privileged account (30 shared): roles back to the policy, account active;
- everyone else (20): every other account still active with exactly its title's roles, and no
  account the memo did not ask for.

Roles are scored as ``needed roles held / needed roles - 0.5 per extra role`` (floored at 0):
a missing role stops someone working, while an extra one is exactly the exposure least
privilege exists to prevent, so one extra role already halves the credit.
"""

from __future__ import annotations

from dataclasses import dataclass

from extender.practicum.graders.common import STAFF_ID_SYSTEM, line, listing, share
from extender.practicum.graders.state import JSON, GradeResult, RubricLine, WorkspaceState

FRONT_DESK = "Front Desk Receptionist"
REGISTERED_NURSE = "Registered Nurse"
HIRE_POINTS, DEPARTURE_POINTS, OVERPRIVILEGED_POINTS, OTHERS_POINTS = 15.0, 20.0, 30.0, 20.0
EXTRA_ROLE_PENALTY = 0.5


@dataclass(frozen=True)
class NewHire:
    username: str
    name: str
    job_title: str


HIRES = (
    NewHire("kabernathy", "Keisha Abernathy", FRONT_DESK),
    NewHire("twisniewski", "Tomasz Wisniewski", REGISTERED_NURSE),
)
DEPARTING_TITLE = FRONT_DESK


def directory(state: WorkspaceState) -> dict[str, str]:
    """username -> job title, as the practice's staff directory (not the user list) records it."""
    titles: dict[str, str] = {}
    for role in state.of_type("PractitionerRole"):
        who = (role.get("practitioner") or {}).get("reference")
        texts = [c.get("text") for c in role.get("code") or [] if c.get("text")]
        if isinstance(who, str) and texts:
            titles[who] = str(texts[0])
    found: dict[str, str] = {}
    for practitioner in state.of_type("Practitioner"):
        title = titles.get(f"Practitioner/{practitioner.get('id')}")
        for identifier in practitioner.get("identifier") or []:
            if identifier.get("system") == STAFF_ID_SYSTEM and title:
                found[str(identifier.get("value"))] = title
    if not found:
        found = {
            str(a["username"]): str(a.get("job_title"))
            for a in state.staff
            if a.get("practitioner") and a.get("username")
        }
    hires = {h.username for h in HIRES}
    return {user: title for user, title in found.items() if user not in hires}


def departing_username(state: WorkspaceState) -> str | None:
    candidates = sorted(u for u, title in directory(state).items() if title == DEPARTING_TITLE)
    return candidates[0] if candidates else None


def role_fraction(granted: set[str], needed: set[str]) -> float:
    if not needed:
        return 0.0 if granted else 1.0
    held = len(granted & needed) / len(needed)
    return max(0.0, held - EXTRA_ROLE_PENALTY * len(granted - needed))


def role_gaps(granted: set[str], needed: set[str], title: str) -> str:
    parts = []
    if needed - granted:
        parts.append(f"lacks {', '.join(sorted(needed - granted))}")
    if granted - needed:
        parts.append(f"holds {', '.join(sorted(granted - needed))} beyond the {title} policy")
    return "; ".join(parts) if parts else f"matches the {title} policy"


def grade_provisioning(state: WorkspaceState) -> GradeResult:
    accounts = {str(a.get("username", "")).lower(): a for a in state.staff}
    known = directory(state)
    departing = departing_username(state)
    overprivileged = [
        o["username"]
        for o in state.answer_key.get("overprivileged_accounts", [])
        if o["username"] != departing
    ]
    rubric = [_hire(state, hire, accounts.get(hire.username)) for hire in HIRES]
    rubric.append(_departure(departing, accounts))
    share_each = OVERPRIVILEGED_POINTS / len(overprivileged) if overprivileged else 0.0
    rubric += [
        _overprivileged(state, user, known.get(user, ""), accounts, share_each)
        for user in overprivileged
    ]
    handled = {h.username for h in HIRES} | set(overprivileged) | {departing or ""}
    rubric.append(_others(state, known, handled))
    return GradeResult(rubric)


def _roles(account: JSON) -> set[str]:
    return {str(r) for r in account.get("roles") or []}


def _needed(state: WorkspaceState, title: str) -> set[str]:
    return set(state.access_policy.get(title, []))


def _hire(state: WorkspaceState, hire: NewHire, account: JSON | None) -> RubricLine:
    item = f"New hire {hire.name} ({hire.username}) provisioned"
    if account is None:
        return line(item, 0.0, HIRE_POINTS, f"No account {hire.username} exists; create it.")
    if account.get("active") is False:
        return line(item, 0.0, HIRE_POINTS, f"{hire.username} exists but is inactive.")
    granted = _roles(account)
    needed = _needed(state, hire.job_title)
    fraction = role_fraction(granted, needed)
    feedback = f"{hire.username} {role_gaps(granted, needed, hire.job_title)}"
    if account.get("job_title") != hire.job_title:
        fraction *= 0.75
        feedback += f"; its title is {account.get('job_title')!r}, not {hire.job_title!r}"
    return line(item, fraction, HIRE_POINTS, feedback + ".")


def _departure(username: str | None, accounts: dict[str, JSON]) -> RubricLine:
    if username is None:
        return line("Departure handled", 1.0, DEPARTURE_POINTS, "No departure to act on.")
    account = accounts.get(username.lower())
    name = account.get("name", username) if account else username
    item = f"Departed employee {name} ({username}) deactivated"
    if account is None:
        feedback = (
            f"{username} was deleted; deactivate instead, so the audit trail of what this user"
            " did stays attributable to a person."
        )
        return line(item, 0.5, DEPARTURE_POINTS, feedback)
    if account.get("active") is False:
        return line(item, 1.0, DEPARTURE_POINTS, f"{username} is deactivated.")
    if not _roles(account):
        feedback = f"{username}'s roles were removed but the account is still active; disable it."
        return line(item, 0.5, DEPARTURE_POINTS, feedback)
    feedback = f"{username} is still active with {len(_roles(account))} roles after their last day."
    return line(item, 0.0, DEPARTURE_POINTS, feedback)


def _overprivileged(
    state: WorkspaceState, username: str, title: str, accounts: dict[str, JSON], points: float
) -> RubricLine:
    account = accounts.get(username.lower())
    title = title or str((account or {}).get("job_title", ""))
    item = f"Excess roles removed from {username} ({title})"
    if account is None:
        return line(item, 0.0, points, f"{username} was deleted; only the excess roles should go.")
    if account.get("active") is False:
        feedback = f"{username} was deactivated, but this employee still works here; trim roles."
        return line(item, 0.0, points, feedback)
    granted, needed = _roles(account), _needed(state, title)
    feedback = f"{username} {role_gaps(granted, needed, title)}."
    return line(item, role_fraction(granted, needed), points, feedback)


def _others(state: WorkspaceState, known: dict[str, str], handled: set[str]) -> RubricLine:
    item = "Other accounts left at least privilege"
    problems: list[str] = []
    present: set[str] = set()
    for account in state.staff:
        username = str(account.get("username", "")).lower()
        present.add(username)
        problem = None if username in handled else _other_problem(state, account, known)
        if problem:
            problems.append(f"{username} ({problem})")
    deleted = sorted(set(known) - present - handled)
    problems += [f"{username} (account deleted)" for username in deleted]
    checked = len(present - handled) + len(deleted)
    if not checked:
        return line(item, 1.0, OTHERS_POINTS, "No other accounts to keep unchanged.")
    ok = checked - len(problems)
    feedback = f"{ok} of {checked} other accounts are exactly at policy."
    if problems:
        feedback += f" Off policy: {listing(problems, 5)}."
    return line(item, share(ok, checked), OTHERS_POINTS, feedback)


def _other_problem(state: WorkspaceState, account: JSON, known: dict[str, str]) -> str | None:
    username = str(account.get("username", "")).lower()
    if username not in known:
        return "not requested by the memo"
    title = known[username]
    if account.get("active") is False:
        return "deactivated but still employed"
    if account.get("job_title") != title:
        return f"job title changed from {title}"
    granted, needed = _roles(account), _needed(state, title)
    return None if granted == needed else role_gaps(granted, needed, title)
