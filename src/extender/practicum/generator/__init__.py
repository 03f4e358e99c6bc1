"""Synthetic small US primary-care practice for the practicum sandbox EHR.

Pure: no database or web imports. ``generate_practice`` returns a FHIR R4 transaction Bundle
plus a hidden answer key for the planted data-quality and privacy defects.
"""

from extender.practicum.generator.answer_key import AnswerKey
from extender.practicum.generator.generate import (
    GeneratedPractice,
    generate_practice,
    write_answer_key,
    write_bundle,
    write_lab_inbox,
    write_staff_accounts,
)
from extender.practicum.generator.params import DefectParams, PracticeParams, parse_defects

__all__ = [
    "AnswerKey",
    "DefectParams",
    "GeneratedPractice",
    "PracticeParams",
    "generate_practice",
    "parse_defects",
    "write_answer_key",
    "write_bundle",
    "write_lab_inbox",
    "write_staff_accounts",
]
