"""A one-page PDF certificate with a QR code pointing at the credential's public page, where
anyone can check it. The PDF is a convenience for printing; the signed credential is the
proof."""

from __future__ import annotations

import io
from datetime import datetime

import segno
from fpdf import FPDF

from extender.credentials.achievements import AchievementSpec
from extender.credentials.issuer import ISSUER_NAME


def _latin1(text: str) -> str:
    """The PDF core fonts cover Latin-1; anything else is shown as '?' rather than failing."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _date(moment: datetime | None) -> str:
    return moment.strftime("%B %d, %Y") if moment else "no expiry"


def certificate_pdf(
    *,
    holder: str,
    spec: AchievementSpec,
    valid_from: datetime,
    valid_until: datetime | None,
    page_url: str,
    credential_id: str,
    status: str,
) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(_latin1(f"{spec.name}: {holder}"))
    pdf.set_author(ISSUER_NAME)
    pdf.add_page()
    pdf.set_draw_color(30, 70, 120)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_font("Helvetica", "", 14)
    pdf.set_xy(20, 24)
    pdf.cell(257, 8, _latin1(ISSUER_NAME), align="C")
    pdf.set_font("Helvetica", "", 12)
    pdf.set_xy(20, 40)
    pdf.cell(257, 8, "certifies that", align="C")
    pdf.set_font("Helvetica", "B", 28)
    pdf.set_xy(20, 52)
    pdf.cell(257, 14, _latin1(holder), align="C")
    pdf.set_font("Helvetica", "", 12)
    pdf.set_xy(20, 72)
    pdf.cell(257, 8, "has earned", align="C")
    pdf.set_font("Helvetica", "B", 18)
    pdf.set_xy(30, 84)
    pdf.multi_cell(237, 9, _latin1(spec.name), align="C")
    pdf.set_font("Helvetica", "", 11)
    pdf.set_xy(40, pdf.get_y() + 4)
    pdf.multi_cell(217, 6, _latin1(spec.description), align="C")
    pdf.set_font("Helvetica", "", 11)
    pdf.set_xy(20, 150)
    pdf.cell(180, 6, _latin1(f"Valid from {_date(valid_from)} until {_date(valid_until)}"))
    pdf.set_xy(20, 157)
    pdf.cell(180, 6, _latin1(f"Status when printed: {status}"))
    pdf.set_xy(20, 164)
    pdf.cell(180, 6, _latin1(f"Credential {credential_id}"))
    pdf.set_font("Helvetica", "", 9)
    pdf.set_xy(20, 176)
    pdf.multi_cell(
        190,
        5,
        _latin1(
            "This certificate is a printout. The signed credential is the proof: scan the code "
            f"or open {page_url} to check it, with its current status."
        ),
    )
    qr = io.BytesIO()
    segno.make(page_url, error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    pdf.image(qr, x=222, y=140, w=50, h=50)
    return bytes(pdf.output())
