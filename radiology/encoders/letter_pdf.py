"""The result letter as a PDF (reportlab), for the post and for her download.

One A4 page in plain type: the department's name and address at the top, the date, her name,
then the letter's sections (radiology.encoders.letter_text, in her language). The
standard Helvetica font covers English and Spanish (WinAnsi: á, é, ñ, ¿, ¡)."""

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from radiology.encoders.letter_text import LetterContent, letter_content


def _styles():
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("LetterBody", parent=sheet["BodyText"], fontSize=11, leading=15, spaceAfter=6)
    return {
        "body": body,
        "right": ParagraphStyle("LetterRight", parent=body, alignment=TA_RIGHT),
        "title": ParagraphStyle("LetterTitle", parent=sheet["Heading1"], fontSize=16, spaceAfter=10),
        "heading": ParagraphStyle("LetterHeading", parent=sheet["Heading2"], fontSize=12, spaceBefore=8),
    }


def letter_pdf(content: LetterContent) -> bytes:
    styles = _styles()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=content.title,
        author=content.clinic_name,
        lang=content.language,
    )

    def para(text, style="body"):
        return Paragraph(escape(text), styles[style])

    story = [
        para(content.clinic_name, "right"),
        para(content.clinic_address, "right"),
        para(content.clinic_phone, "right"),
        Spacer(1, 8 * mm),
        para(content.date),
        Spacer(1, 4 * mm),
        para(content.title, "title"),
        para(content.greeting),
    ]
    for section in content.sections:
        story.append(para(section.heading, "heading"))
        story += [para(paragraph) for paragraph in section.paragraphs]
    story += [Spacer(1, 6 * mm), para(content.sign_off), para(content.clinic_name)]
    document.build(story)
    return buffer.getvalue()


def letter_pdf_of(letter, *, now) -> bytes:
    """The PDF of a ResultLetter (report, appointment and patient loaded), in her language."""
    return letter_pdf(letter_content(letter, now=now))
