import pytest

from tests.radiology.encoders.hl7_out.support import receiving


@pytest.fixture
def ehr_receiver(settings):
    """The EHR's MLLP receiver with every kind of HL7 message switched on (ORM^O01 2.3.1)."""
    with receiving(settings) as server:
        yield server
