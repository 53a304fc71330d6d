"""Turning a form template into a PDF with ReportLab.

A form template (`documents/templates/documents/forms/<form set>/form_NN.xml`) is a Django
template that renders to a small XML vocabulary, read here into ReportLab flowables:

    <form pagesize="A4|A5">
      <header parent="…" unit="…" number="…" place-date="…"/>   national motto header
      <title>…</title> <subtitle>…</subtitle>
      <p style="body|center|right|small|indent">… <b>…</b> <i>…</i> <br/> …</p>
      <table widths="10,40,50" header="1"><tr><td>…</td></tr></table>   widths in percent
      <qr url="…" size="28" caption="…"/>                           size in mm
      <signatures><sign title="…" note="…" name="…"/></signatures>
      <spacer height="4"/>
    </form>

Texts come escaped by the template engine; the markup inside <p> and <td> is ReportLab's.
"""

import functools
import io
import xml.etree.ElementTree as ET

import qrcode
import qrcode.constants
from django.conf import settings
from django.template.loader import render_to_string
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT = "FormSerif"
FONT_FILES = {
    FONT: "DejaVuSerif.ttf",
    f"{FONT}-Bold": "DejaVuSerif-Bold.ttf",
    f"{FONT}-Italic": "DejaVuSerif-Italic.ttf",
    f"{FONT}-BoldItalic": "DejaVuSerif-BoldItalic.ttf",
}
MARGINS = {
    "A4": (20 * mm, 15 * mm, 30 * mm, 20 * mm),
    "A5": (12 * mm, 10 * mm, 15 * mm, 10 * mm),
    "A4-landscape": (15 * mm, 12 * mm, 20 * mm, 15 * mm),
}
PAGE_SIZES = {"A4": A4, "A5": A5, "A4-landscape": landscape(A4)}


@functools.cache
def register_fonts() -> str:
    """Register the Vietnamese-capable serif family once per process; returns its name."""
    from reportlab.lib.fonts import addMapping

    for name, filename in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(settings.DOCUMENTS_FONT_DIR / filename)))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, f"{FONT}-Bold")
    addMapping(FONT, 0, 1, f"{FONT}-Italic")
    addMapping(FONT, 1, 1, f"{FONT}-BoldItalic")
    return FONT


def _styles(base_size: float) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=base_size, leading=base_size * 1.35, alignment=TA_JUSTIFY
    )
    return {
        "body": body,
        "indent": ParagraphStyle("indent", parent=body, firstLineIndent=8 * mm),
        "center": ParagraphStyle("center", parent=body, alignment=TA_CENTER),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        "left": ParagraphStyle("left", parent=body, alignment=TA_LEFT),
        "small": ParagraphStyle(
            "small", parent=body, fontSize=base_size - 2, leading=(base_size - 2) * 1.3
        ),
        "cell": ParagraphStyle(
            "cell",
            parent=body,
            fontSize=base_size - 2.5,
            leading=(base_size - 2.5) * 1.25,
            alignment=TA_LEFT,
        ),
        "title": ParagraphStyle(
            "title",
            parent=body,
            fontName=f"{FONT}-Bold",
            fontSize=base_size + 1,
            leading=(base_size + 1) * 1.35,
            alignment=TA_CENTER,
            spaceBefore=4 * mm,
        ),
        "subtitle": ParagraphStyle(
            "subtitle",
            parent=body,
            fontName=f"{FONT}-Italic",
            alignment=TA_CENTER,
            spaceAfter=3 * mm,
        ),
    }


def _inner(element: ET.Element) -> str:
    """The element's content as markup for a ReportLab Paragraph."""
    text = ET.tostring(element, encoding="unicode")
    start = text.find(">") + 1
    end = text.rfind("</")
    return text[start:end].strip() if end > start else ""


class QRCode(Flowable):
    """A QR code of `url`, `size` wide, optionally with a caption underneath."""

    def __init__(self, url: str, size: float, caption: Paragraph | None = None):
        super().__init__()
        self.url, self.size, self.caption = url, size, caption
        self.hAlign = "CENTER"

    def wrap(self, available_width, available_height):
        self.caption_height = 0
        if self.caption is not None:
            _, self.caption_height = self.caption.wrap(self.size * 2.2, available_height)
        return self.size, self.size + self.caption_height

    def draw(self):
        modules = qr_matrix(self.url)
        step = self.size / len(modules)
        path = self.canv.beginPath()
        for row, line in enumerate(modules):
            for column, dark in enumerate(line):
                if dark:
                    path.rect(column * step, self.size - (row + 1) * step, step, step)
        self.canv.saveState()
        self.canv.translate(0, self.caption_height)
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)
        self.canv.restoreState()
        if self.caption is not None:
            width = self.size * 2.2
            self.caption.drawOn(self.canv, (self.size - width) / 2, 0)


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR modules of `text` with a 2-module quiet zone.

    The mask pattern is fixed: any of the eight is a valid code, and searching for the best one
    is most of the encoding time in pure Python.
    """
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, mask_pattern=0
    )
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def _header(element: ET.Element, styles, width: float) -> Table:
    """Unit on the left, the national motto on the right, then number and place-date."""
    center = ParagraphStyle(
        "header",
        parent=styles["center"],
        fontSize=styles["body"].fontSize - 1,
        leading=(styles["body"].fontSize - 1) * 1.3,
    )
    bold = ParagraphStyle("header-bold", parent=center, fontName=f"{FONT}-Bold")
    left = []
    if element.get("parent"):
        left.append(Paragraph(element.get("parent").upper(), center))
    left.append(Paragraph(f"<u>{_escape(element.get('unit', '').upper())}</u>", bold))
    right = [
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold),
        Paragraph("<u>Độc lập - Tự do - Hạnh phúc</u>", bold),
    ]
    rows = [[left, right]]
    number, place_date = element.get("number", ""), element.get("place-date", "")
    if number or place_date:
        rows.append(
            [
                Paragraph(_escape(number), center),
                Paragraph(f"<i>{_escape(place_date)}</i>", center),
            ]
        )
    table = Table(rows, colWidths=[width * 0.4, width * 0.6])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 1), (-1, 1), 2 * mm),
            ]
        )
    )
    return table


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(element: ET.Element, styles, width: float) -> Table:
    shares = [float(share) for share in element.get("widths", "").split(",") if share]
    rows = [
        [Paragraph(_inner(cell), styles["cell"]) for cell in row.findall("td")]
        for row in element.findall("tr")
    ]
    columns = len(rows[0]) if rows else 1
    shares = shares or [100 / columns] * columns
    header_rows = int(element.get("header", "0"))
    table = Table(
        rows or [[""]],
        colWidths=[width * share / 100 for share in shares],
        repeatRows=header_rows,
    )
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 1.5 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 1.5 * mm),
    ]
    if header_rows:
        style.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(style))
    return table


def _signatures(element: ET.Element, styles, width: float) -> Table:
    center = styles["center"]
    bold = ParagraphStyle("sign-bold", parent=center, fontName=f"{FONT}-Bold")
    italic = ParagraphStyle("sign-note", parent=center, fontName=f"{FONT}-Italic")
    cells = []
    for sign in element.findall("sign"):
        cell = [Paragraph(_escape(sign.get("title", "")), bold)]
        if sign.get("note"):
            cell.append(Paragraph(_escape(sign.get("note")), italic))
        cell.append(Spacer(1, 16 * mm))
        if sign.get("name"):
            cell.append(Paragraph(f"<b>{_escape(sign.get('name'))}</b>", center))
        cells.append(cell)
    columns = max(len(cells), 1)
    table = Table([cells], colWidths=[width / columns] * columns)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _flowables(root: ET.Element, styles, width: float) -> list:
    story = []
    for element in root:
        tag = element.tag
        if tag == "header":
            story.append(_header(element, styles, width))
        elif tag in ("title", "subtitle"):
            story.append(Paragraph(_inner(element), styles[tag]))
        elif tag == "p":
            story.append(Paragraph(_inner(element), styles[element.get("style", "body")]))
        elif tag == "table":
            story.append(_table(element, styles, width))
        elif tag == "qr":
            caption = element.get("caption")
            story.append(
                QRCode(
                    element.get("url", ""),
                    float(element.get("size", "28")) * mm,
                    Paragraph(_escape(caption), styles["small"]) if caption else None,
                )
            )
        elif tag == "signatures":
            story.append(_signatures(element, styles, width))
        elif tag == "spacer":
            story.append(Spacer(1, float(element.get("height", "4")) * mm))
        else:
            raise ValueError(f"unknown element <{tag}> in a form template")
    return story


def render_pdf(template: str, context: dict, *, title: str = "") -> bytes:
    """Render a form template to PDF bytes."""
    register_fonts()
    root = ET.fromstring(render_to_string(template, context).strip())
    page = PAGE_SIZES[root.get("pagesize", "A4")]
    small_page = page == A5
    # top, right, left, bottom: state documents keep a wide left margin for binding
    top, right, left, bottom = MARGINS.get(root.get("pagesize", "A4"), MARGINS["A4"])
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=page,
        topMargin=top,
        rightMargin=right,
        leftMargin=left,
        bottomMargin=bottom,
        title=title,
        author=settings.DOCUMENTS_PLACE_NAME,
        invariant=1,
    )
    styles = _styles(10.5 if small_page or page == landscape(A4) else 12)
    document.build(_flowables(root, styles, document.width))
    return buffer.getvalue()
