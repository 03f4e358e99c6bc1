"""What a caller may ask of the generator, and the limits that keep the result coherent.

Defects are counted, not switched on or off, so a scenario author can plant exactly as many
problems as the exercise's rubric expects and the answer key will list exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Literal

from extender.errors import InvalidInput

MIN_PATIENTS = 30
MAX_PATIENTS = 20_000
DEFAULT_AS_OF = date(2026, 11, 1)


@dataclass(frozen=True)
class DefectParams:
    """How many of each planted problem to put in the practice (0 disables that kind)."""

    duplicate_patients: int = 3
    """Second Patient records for a person already registered (nickname, typo, moved...)."""
    lookalike_patients: int = 2
    """Pairs of different people who look alike (twins, same name, father and son)."""
    overprivileged_accounts: int = 2
    """Staff accounts holding roles their job title does not allow."""
    coworker_accesses: int = 1
    """A staff member opening a coworker's chart with no care relationship."""
    vip_accesses: int = 1
    """A staff member opening a VIP patient's chart with no care relationship."""
    after_hours_browsing: int = 1
    """A burst of late-night chart opens across many unrelated patients."""
    family_accesses: int = 1
    """A staff member opening the chart of a relative (same surname and address)."""
    miscoded_results: int = 4
    """Lab results with a wrong LOINC, a missing unit or value, a wrong unit, or free text."""
    misidentified_lab_messages: int = 0
    """Inbound lab messages whose patient cannot be identified (an MRN the practice never
    issued, or an MRN whose name and birth date are someone else's); need ``lab_messages``."""
    resent_lab_messages: int = 0
    """Clean inbound messages the lab sends a second time under a new control ID."""
    corrected_lab_results: int = 0
    """Later messages correcting one result of a clean message (OBX-11 C)."""

    @classmethod
    def none(cls) -> DefectParams:
        return cls(**{f.name: 0 for f in fields(cls)})

    def total(self) -> int:
        return sum(int(getattr(self, f.name)) for f in fields(self))


DEFECT_ALIASES = {
    "duplicates": "duplicate_patients",
    "lookalikes": "lookalike_patients",
    "overprivileged": "overprivileged_accounts",
    "coworker": "coworker_accesses",
    "vip": "vip_accesses",
    "after_hours": "after_hours_browsing",
    "family": "family_accesses",
    "results": "miscoded_results",
    "misidentified": "misidentified_lab_messages",
    "resent": "resent_lab_messages",
    "corrected": "corrected_lab_results",
}


@dataclass(frozen=True)
class PracticeParams:
    """Everything that determines the output: equal params give byte-identical practices."""

    patients: int = 200
    """Distinct people on the panel; duplicate records come on top of these."""
    seed: int = 0
    as_of: date = DEFAULT_AS_OF
    """The practice's "today": history ends here and booked appointments start after it."""
    years_of_history: int = 5
    providers: int | None = None
    """2-8; None lets the panel size decide (about one clinician per 300 patients)."""
    locations: int | None = None
    """1-3; None lets the practice size decide."""
    audit_days: int = 14
    """How many days of chart-access AuditEvents (ending at ``as_of``) to generate."""
    lab_messages: int = 0
    """Clean HL7 v2 result messages in the practice's interface inbox (0: no inbox)."""
    method: Literal["POST", "PUT"] = "POST"
    """Transaction entry style; see ``bundle`` for what each means for server ids."""
    defects: DefectParams = field(default_factory=DefectParams)

    def validated(self) -> PracticeParams:
        """Return self, or raise InvalidInput naming the first parameter that is out of range."""
        _check_range("patients", self.patients, MIN_PATIENTS, MAX_PATIENTS)
        _check_range("years_of_history", self.years_of_history, 1, 20)
        _check_range("audit_days", self.audit_days, 1, 90)
        if self.providers is not None:
            _check_range("providers", self.providers, 2, 8)
        if self.locations is not None:
            _check_range("locations", self.locations, 1, 3)
        _check_range("lab_messages", self.lab_messages, 0, 60)
        for name in ("resent_lab_messages", "corrected_lab_results"):
            if getattr(self.defects, name) > self.lab_messages:
                raise InvalidInput(
                    f"defects.{name} cannot exceed lab_messages ({self.lab_messages}):"
                    " only clean messages are resent or corrected",
                    field=f"defects.{name}",
                )
        if self.defects.misidentified_lab_messages and not self.lab_messages:
            raise InvalidInput(
                "misidentified lab messages need an inbox: set lab_messages above 0",
                field="defects.misidentified_lab_messages",
            )
        if self.method not in ("POST", "PUT"):
            raise InvalidInput("method must be POST or PUT", field="method")
        for f in fields(self.defects):
            _check_range(f"defects.{f.name}", getattr(self.defects, f.name), 0, 50)
        records = self.defects.duplicate_patients + 2 * self.defects.lookalike_patients
        if records > self.patients // 4:
            raise InvalidInput(
                f"{self.patients} patients cannot hold {self.defects.duplicate_patients} duplicates"
                f" and {self.defects.lookalike_patients} look-alike pairs; use more patients",
                field="defects",
            )
        return self


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            f"{name} must be an integer from {low} to {high}, got {value!r}", field=name
        )


def parse_defects(spec: str, base: DefectParams | None = None) -> DefectParams:
    """Parse ``none,duplicates=4,results=2``-style text (as typed on the command line).

    ``none`` zeroes every count, ``default`` restores the defaults; ``name=count`` pairs then
    override single kinds, by short alias or by field name.
    """
    result = base or DefectParams()
    valid = {f.name for f in fields(DefectParams)}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        if item in ("none", "default"):
            result = DefectParams.none() if item == "none" else DefectParams()
            continue
        name, sep, count = item.partition("=")
        key = DEFECT_ALIASES.get(name.strip(), name.strip())
        if not sep or key not in valid:
            choices = ", ".join(sorted(DEFECT_ALIASES))
            raise InvalidInput(
                f"unknown defect {item!r}; use none, default or NAME=COUNT with NAME in {choices}",
                field="defects",
            )
        try:
            value = int(count)
        except ValueError:
            raise InvalidInput(
                f"defect count for {name} must be an integer, got {count!r}", field="defects"
            ) from None
        result = replace(result, **{key: value})
    return result
