"""A tiny lesson tree written into a temporary content folder, so lesson tests do not depend
on the shipped lessons (which content authors change)."""

from __future__ import annotations

import shutil
from pathlib import Path

from extender.config import PROJECT_ROOT

CHECK = """check:
  - prompt: Which code set names a laboratory test?
    options:
      - {id: A, text: ICD-10-CM}
      - {id: B, text: LOINC}
      - {id: C, text: CPT}
      - {id: D, text: RxNorm}
    answer: B
    rationale: LOINC names tests; ICD-10-CM diagnoses; CPT procedures; RxNorm drugs.
  - prompt: Which HL7 v2 segment carries a result value?
    options:
      - {id: A, text: PID}
      - {id: B, text: OBR}
      - {id: C, text: OBX}
      - {id: D, text: MSH}
    answer: C
    rationale: OBX-5 holds the value; OBR is the order, PID the patient, MSH the header.
  - prompt: What does UCUM standardize?
    options:
      - {id: A, text: units of measure}
      - {id: B, text: drug names}
      - {id: C, text: diagnoses}
      - {id: D, text: vaccines}
    answer: A
    rationale: UCUM is the Unified Code for Units of Measure.
"""

BODY = """
## Results

> [!NOTE]
> OBX-3 names the test with LOINC.

```hl7
OBX|1|NM|4548-4^Hemoglobin A1c^LN||9.6|%|4.0-5.6|H
```

See [the next lesson](02-second.md) and [objective](/tracks/CPEHR#CPEHR-1.1).
"""


def write_lessons(tmp: Path, *, extra_body: str = "", objective: str = "CPEHR-1.1") -> Path:
    content = tmp / "content"
    shutil.copytree(PROJECT_ROOT / "content" / "tracks", content / "tracks")
    shutil.copytree(PROJECT_ROOT / "content" / "scenarios", content / "scenarios")
    module = content / "lessons" / "cpehr" / "01-basics"
    module.mkdir(parents=True)
    (module / "module.yaml").write_text(
        "slug: basics\ntitle: Basics\ntrack: CPEHR\norder: 1\nsummary: The basics.\n"
        "lessons: [01-first.md, 02-second.md]\n"
    )
    (module / "01-first.md").write_text(
        f"---\nslug: first\ntitle: First lesson\nminutes: 10\nobjectives: [{objective}]\n"
        f"scenarios: [duplicate-patient-cleanup]\n{CHECK}---\n{BODY}{extra_body}"
    )
    (module / "02-second.md").write_text(
        f"---\nslug: second\ntitle: Second lesson\nminutes: 10\nobjectives: [CPEHR-1.2]\n"
        f"{CHECK}---\n\n## Second\n\nBack to [the first](01-first.md).\n"
    )
    return content
