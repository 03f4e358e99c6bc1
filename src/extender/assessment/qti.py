"""IMS/1EdTech QTI 3.0 import and export of exam items.

Item banks have to move between Extender and other assessment platforms without loss, so this
is the one place callers go: writing lives in ``qti_export`` and reading in ``qti_import``,
which share one vocabulary so the round trip stays exact. Pure: no database, no web.
"""

from __future__ import annotations

from extender.assessment.qti_export import export_package, item_problems
from extender.assessment.qti_import import (
    QtiImportError,
    QtiPackage,
    QtiProblem,
    import_package,
    read_package,
)

__all__ = [
    "QtiImportError",
    "QtiPackage",
    "QtiProblem",
    "export_package",
    "import_package",
    "item_problems",
    "read_package",
]
