"""A patient's label and wristband as PDFs (reportlab), printed at check-in.

Both carry her name, date of birth, sex, MRN and the exam's accession number, and a Code 128
barcode of the accession (reportlab.graphics.barcode.code128, which picks subset C for runs of
digits): the modality, the specimen pot and the request form are scanned by it.

- The label: one 89 × 36 mm page, landscape, the size of a Dymo LabelWriter 99012 ("large
  address") label and of a Zebra 3.5 × 1.4 in label, the common desktop label printers'.
- The wristband: one 254 × 25 mm page (a Zebra Z-Band 1 × 10 in adult band), the text and
  barcode in the middle 150 mm, the ends free for the clasp and the overlap.

Bars are 0.375 mm wide, three dots of a 203 dpi thermal printer, the widest module the
label's width allows; a page "actual size" (no fit-to-page) keeps them so. Standard Helvetica
covers English and Spanish names (WinAnsi: á, é, ñ); a character it lacks prints as a box."""

from dataclasses import dataclass
from io import BytesIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

BAR_WIDTH = 0.375 * mm
FONT, BOLD = "Helvetica", "Helvetica-Bold"


@dataclass(frozen=True)
class LabelFacts:
    """What a label says, read once from the appointment."""

    family_name: str
    given_name: str
    birth_date: str  # "12 Mar 1975", or "birth date missing"
    sex: str
    mrn: str
    accession: str

    @classmethod
    def of(cls, appointment) -> "LabelFacts":
        patient = appointment.patient
        return cls(
            family_name=patient.family_name.upper(),
            given_name=patient.given_name,
            birth_date=f"{patient.birth_date:%d %b %Y}" if patient.birth_date else "birth date missing",
            sex=patient.get_sex_display(),
            mrn=patient.mrn,
            accession=appointment.order.accession_number,
        )

    @property
    def name(self) -> str:
        return f"{self.family_name}, {self.given_name}" if self.given_name else self.family_name


@dataclass(frozen=True)
class Layout:
    """A page and where the text and the barcode go on it (all in points)."""

    key: str
    title: str
    width: float
    height: float
    left: float  # where the printed area starts
    text_width: float  # the printed area's width
    name_size: float
    line_size: float
    bar_height: float


LABEL = Layout("label", "Patient label", 89 * mm, 36 * mm, 3 * mm, 83 * mm, 11, 8, 10 * mm)
WRISTBAND = Layout("wristband", "Wristband", 254 * mm, 25 * mm, 52 * mm, 150 * mm, 10, 7.5, 9 * mm)
LAYOUTS = {layout.key: layout for layout in (LABEL, WRISTBAND)}


def _fit(text: str, font: str, size: float, width: float) -> float:
    """The font size (not above `size`) at which the text fits the width: a long name shrinks
    rather than running off the label."""
    wide = stringWidth(text, font, size)
    return size if wide <= width else max(5.0, size * width / wide)


def barcode(accession: str, *, height: float, max_width: float) -> Code128:
    """The accession as Code 128, with its quiet zones (ten modules each side) and no text of
    its own (the label prints the number). Bars narrow only if a long accession would not
    fit; 0.25 mm is still read by ordinary scanners."""
    code = Code128(accession, barWidth=BAR_WIDTH, barHeight=height, humanReadable=False, quiet=True)
    if code.width > max_width:
        narrower = max(0.25 * mm, BAR_WIDTH * max_width / code.width)
        code = Code128(accession, barWidth=narrower, barHeight=height, humanReadable=False, quiet=True)
    return code


def _draw_label(canvas: Canvas, facts: LabelFacts, layout: Layout) -> None:
    beside = layout is WRISTBAND  # on the band the barcode sits beside the text
    code = barcode(facts.accession, height=layout.bar_height, max_width=layout.text_width * (0.45 if beside else 1))
    text_width = layout.text_width - (code.width + 3 * mm if beside else 0)
    x, top = layout.left, layout.height - 2.5 * mm
    size = _fit(facts.name, BOLD, layout.name_size, text_width)
    canvas.setFont(BOLD, size)
    canvas.drawString(x, top - size, facts.name)
    lines = [
        f"DOB {facts.birth_date}   {facts.sex}",
        f"MRN {facts.mrn}   Acc {facts.accession}",
    ]
    y = top - size - 1.5 * mm
    for line in lines:
        y -= layout.line_size + 1
        canvas.setFont(FONT, _fit(line, FONT, layout.line_size, text_width))
        canvas.drawString(x, y, line)
    if beside:
        code.drawOn(canvas, x + layout.text_width - code.width, (layout.height - layout.bar_height) / 2)
    else:
        code.drawOn(canvas, x, 2 * mm)


def label_pdf(facts: LabelFacts, layout: Layout = LABEL) -> bytes:
    """One page of the layout's size with her label."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(layout.width, layout.height), pageCompression=0)
    canvas.setTitle(f"{layout.title} {facts.accession}")
    canvas.setAuthor("Galactogram scheduling")
    _draw_label(canvas, facts, layout)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
