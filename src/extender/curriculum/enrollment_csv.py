"""Enrolling a cohort from a CSV file.

Every bad row is reported with its line number. The staff member chooses what happens when
some rows are bad: import nothing (the default) or import the valid rows. People without an
account get one, with the learner role in the program, and an invitation to set a password."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import service as accounts
from extender.accounts.audit import Actor
from extender.accounts.models import Organization, Role
from extender.curriculum import service as curriculum
from extender.curriculum.models import Cohort, Enrollment
from extender.errors import InvalidInput

EXPECTED_HEADERS = ("email", "name")
MAX_ROWS = 2000


@dataclass
class CsvResult:
    enrolled: list[str] = field(default_factory=list)
    created_accounts: list[str] = field(default_factory=list)
    already_enrolled: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    imported: bool = False


@dataclass(frozen=True)
class _Row:
    line: int
    email: str
    name: str


def _parse(text: str) -> tuple[list[_Row], list[tuple[int, str]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(
            "the file is empty; expected a header line: email,name", field="file"
        ) from None
    columns = [h.strip().lower() for h in header]
    if sorted(columns) != sorted(EXPECTED_HEADERS):
        raise InvalidInput(
            f"the header line must be exactly: {','.join(EXPECTED_HEADERS)} "
            f"(found: {','.join(header) or 'nothing'})",
            field="file",
        )
    rows, errors, seen = [], [], set()
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(columns):
            errors.append((line, f"expected {len(columns)} values, found {len(values)}"))
            continue
        record = dict(zip(columns, (v.strip() for v in values), strict=True))
        email = accounts.normalize_email(record["email"])
        if not accounts.EMAIL_RE.match(email):
            errors.append((line, f"'{record['email']}' is not an email address"))
        elif not record["name"]:
            errors.append((line, "the name is empty"))
        elif email in seen:
            errors.append((line, f"{email} appears twice in the file"))
        else:
            seen.add(email)
            rows.append(_Row(line, email, record["name"]))
    if len(rows) + len(errors) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} rows per file", field="file")
    return rows, errors


def enroll_from_csv(
    session: Session,
    actor: Actor,
    program: Organization,
    cohort: Cohort,
    text: str,
    mode: Literal["all", "valid"],
    base_url: str,
) -> CsvResult:
    rows, errors = _parse(text)
    result = CsvResult(errors=errors)
    if errors and mode == "all":
        return result
    enrolled_ids = set(
        session.scalars(select(Enrollment.user_id).where(Enrollment.cohort_id == cohort.id))
    )
    for row in rows:
        user = accounts.find_user_by_email(session, row.email)
        if user is None:
            user = accounts.create_user(
                session,
                actor,
                email=row.email,
                display_name=row.name,
                password=secrets.token_urlsafe(24),
            )
            result.created_accounts.append(row.email)
            accounts.request_password_reset(session, row.email, base_url)
        if not any(
            m.organization_id == program.id and m.role == Role.LEARNER.value
            for m in user.memberships
        ):
            accounts.grant_role(session, actor, user=user, org=program, role=Role.LEARNER.value)
        if user.id in enrolled_ids:
            result.already_enrolled.append(row.email)
            continue
        curriculum.enroll(session, actor, cohort, user)
        enrolled_ids.add(user.id)
        result.enrolled.append(row.email)
    result.imported = True
    return result
