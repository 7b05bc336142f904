"""The patient label and the wristband, read back: the PDF's page is the printer's label size,
its text has her name, date of birth, MRN and accession, and its barcode, drawn again from the
PDF's own bars, decodes (zxing-cpp) to the accession."""

from datetime import date
from io import BytesIO

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader

from radiology.encoders.label_pdf import LABEL, WRISTBAND, LabelFacts, label_pdf
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
MM = 72 / 25.4


@pytest.fixture
def facts():
    appointment = AppointmentFactory(
        patient__given_name="María José",
        patient__family_name="García-López",
        patient__birth_date=date(1975, 3, 12),
        patient__mrn="H-204811",
        order__accession_number="GA00001234",
    )
    return LabelFacts.of(appointment)


def _page(pdf: bytes):
    return PdfReader(BytesIO(pdf)).pages[0]


def _decoded(page) -> list[str]:
    """The page's filled rectangles (the bars; nothing else on a label is a rectangle) drawn
    black on white at 8 px per 0.375 mm module, as a scanner would see them, and decoded."""
    bars = [[float(v) for v in operands] for operands, op in page.get_contents().operations if op == b"re"]
    assert len(bars) > 20
    left = min(x for x, _, _, _ in bars)
    right = max(x + w for x, _, w, _ in bars)
    scale, margin = 8 / (0.375 * MM), 40
    image = Image.new("L", (int((right - left) * scale) + 2 * margin, 120), 255)
    draw = ImageDraw.Draw(image)
    for x, _, w, _ in bars:
        start = (x - left) * scale + margin
        draw.rectangle([round(start), 10, round(start + w * scale) - 1, 110], fill=0)
    return [(found.text, found.format.name) for found in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize(("layout", "size_mm"), [(LABEL, (89, 36)), (WRISTBAND, (254, 25))])
def test_each_layout_is_one_page_of_its_printers_size(facts, layout, size_mm):
    reader = PdfReader(BytesIO(label_pdf(facts, layout)))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == size_mm


@pytest.mark.parametrize("layout", [LABEL, WRISTBAND])
def test_the_text_has_her_name_birth_date_mrn_and_accession(facts, layout):
    text = " ".join(_page(label_pdf(facts, layout)).extract_text().split())
    assert "GARCÍA-LÓPEZ, María José" in text
    assert "DOB 12 Mar 1975" in text
    assert "MRN H-204811" in text
    assert "Acc GA00001234" in text


@pytest.mark.parametrize("layout", [LABEL, WRISTBAND])
def test_the_barcode_decodes_to_the_accession_as_code_128(facts, layout):
    assert _decoded(_page(label_pdf(facts, layout))) == [("GA00001234", "Code128")]


def test_a_long_name_shrinks_to_fit_and_a_long_accession_still_fits_the_label():
    facts = LabelFacts(
        family_name="WOLFESCHLEGELSTEINHAUSENBERGERDORFF",
        given_name="Hubertina Blaine Charlotte",
        birth_date="01 Jan 1970",
        sex="Female",
        mrn="MRN-0001",
        accession="AB12CD34EF56GH78",
    )
    page = _page(label_pdf(facts, LABEL))
    bars = [[float(v) for v in operands] for operands, op in page.get_contents().operations if op == b"re"]
    # Translated by the barcode's origin (3 mm in): every bar inside the 89 mm label.
    assert max(x + w for x, _, w, _ in bars) + 3 * MM <= 89 * MM
    assert "WOLFESCHLEGELSTEINHAUSENBERGERDORFF" in page.extract_text()
