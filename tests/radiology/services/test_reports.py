"""The report service: a preliminary report on a performed exam, rewritten as versions, signed
as final with her password (or, over the API, her token), then only added to by signed
addenda. Every refusal says why and changes nothing; every saved version is in the history
with who and when, and is told to the EHR in the same transaction."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from radiology.errors import ServiceRefusal
from radiology.models import Report, ReportAddendum
from radiology.services import hl7_events, reports
from tests.factories import DEFAULT_PASSWORD, AppointmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

TEXT = {
    "findings": "Single duct opacified; a 4 mm intraductal filling defect 2 cm from the nipple.",
    "impression": "Intraductal filling defect, likely papilloma.",
    "assessment": "4",
    "recommendation": "biopsy",
}


@pytest.fixture
def told(monkeypatch):
    """What the report service told the EHR hook: (report version, status, addendum number, in a transaction)."""
    calls = []

    def on_report(*, report, addendum=None, actor, now):
        calls.append((report.version, report.status, addendum.number if addendum else None, connection.in_atomic_block))

    monkeypatch.setattr(hl7_events, "on_report", on_report)
    return calls


@pytest.fixture
def exam():
    return AppointmentFactory(status="performed")


def _write(exam, actor=None, **changes):
    actor = actor or exam.radiologist.user
    return reports.save_report(appointment_id=exam.pk, actor=actor, **{**TEXT, **changes})


def _refusal(call, **kwargs) -> ServiceRefusal:
    with pytest.raises(ServiceRefusal) as refusal:
        call(**kwargs)
    return refusal.value


def test_preliminary_then_final_then_addendum(exam, told):
    radiologist = exam.radiologist.user
    report = _write(exam)
    assert (report.status, report.version, report.signed_by) == ("preliminary", 1, None)
    revised = "Filling defect: papilloma or carcinoma."
    report = _write(exam, impression=revised)
    assert report.version == 2
    report = _write(exam, impression=revised, final=True, password=DEFAULT_PASSWORD)
    assert (report.status, report.version, report.signed_by, report.signed_at is not None) == (
        "final",
        3,
        exam.radiologist,
        True,
    )
    addendum = reports.add_addendum(
        appointment_id=exam.pk, actor=radiologist, text="Compared with the outside MRI.", password=DEFAULT_PASSWORD
    )
    assert (addendum.number, addendum.signed_by) == (1, exam.radiologist)
    report.refresh_from_db()
    assert (report.version, report.status, report.impression) == (3, "final", revised)
    assert told == [
        (1, "preliminary", None, True),
        (2, "preliminary", None, True),
        (3, "final", None, True),
        (3, "final", 1, True),
    ]


def test_every_version_is_in_the_history_with_who_and_when(exam):
    first, second = StaffMemberFactory(radiologist=True).user, exam.radiologist.user
    t0 = timezone.now().replace(microsecond=0)
    reports.save_report(appointment_id=exam.pk, actor=first, now=t0, **TEXT)
    reports.save_report(
        appointment_id=exam.pk,
        actor=second,
        now=t0 + timedelta(hours=1),
        final=True,
        password=DEFAULT_PASSWORD,
        **{**TEXT, "assessment": "3"},
    )
    versions = Report.history.filter(appointment_id=exam.pk).order_by("version")
    assert [(v.version, v.status, v.assessment, v.history_user, v.history_date) for v in versions] == [
        (1, "preliminary", "4", first, t0),
        (2, "final", "3", second, t0 + timedelta(hours=1)),
    ]


def test_saving_the_same_text_again_makes_no_new_version(exam, told):
    _write(exam)
    assert _write(exam).version == 1
    assert len(told) == 1


def test_a_report_on_an_exam_not_performed_is_refused(told):
    booked = AppointmentFactory(status="in_procedure")
    refusal = _refusal(_write, exam=booked)
    assert refusal.message.startswith("The exam has not been performed yet")
    assert not Report.objects.exists() and told == []


def test_a_final_report_is_never_changed_again(exam, told):
    _write(exam, final=True, password=DEFAULT_PASSWORD)
    for changes in ({"impression": "Changed."}, {"final": True, "password": DEFAULT_PASSWORD}):
        refusal = _refusal(_write, exam=exam, **changes)
        assert refusal.message == "This report is final: add an addendum."
    report = Report.objects.get()
    assert (report.version, report.impression) == (1, TEXT["impression"])
    assert len(told) == 1


def test_signing_with_a_wrong_or_missing_password_is_refused_and_nothing_changes(exam, told):
    _write(exam)
    for password in ("not-her-password", "", None):
        refusal = _refusal(_write, exam=exam, final=True, password=password, impression="New.")
        assert refusal.code == "invalid" and set(refusal.fields) == {"password"}
    report = Report.objects.get()
    assert (report.status, report.version, report.impression) == ("preliminary", 1, TEXT["impression"])
    assert len(told) == 1


def test_over_the_api_the_token_is_the_signature(exam):
    report = _write(exam, final=True, signature=reports.TOKEN)
    assert report.is_final


def test_a_technologist_cannot_write_or_sign_and_a_manager_cannot_write(exam):
    for role in ("technologist", "nurse", "manager", "scheduler"):
        actor = StaffMemberFactory(role=role).user
        refusal = _refusal(_write, exam=exam, actor=actor, final=True, password=DEFAULT_PASSWORD)
        assert refusal.code == "forbidden" and "only a radiologist" in refusal.message
        refusal = _refusal(_write, exam=exam, actor=actor)
        assert refusal.code == "forbidden"
    assert not Report.objects.exists()


def test_missing_or_wrong_fields_are_named_all_at_once(exam):
    refusal = _refusal(
        _write, exam=exam, findings=" ", impression="", assessment="7", recommendation="x", follow_up_interval_weeks=0
    )
    assert refusal.code == "invalid"
    assert set(refusal.fields) == {"findings", "impression", "assessment", "recommendation", "follow_up_interval_weeks"}
    assert not Report.objects.exists()


def test_a_newer_version_saved_by_someone_else_is_not_overwritten(exam):
    _write(exam)
    _write(exam, impression="Second.")
    refusal = _refusal(_write, exam=exam, impression="Third.", expected_version=1)
    assert refusal.code == "conflict"
    assert Report.objects.get().impression == "Second."


def test_an_addendum_needs_text_a_final_report_and_a_signature(exam, told):
    radiologist = exam.radiologist.user

    def add(**kwargs):
        return reports.add_addendum(appointment_id=exam.pk, actor=radiologist, **kwargs)

    assert _refusal(add, text="Later.", password=DEFAULT_PASSWORD).message.startswith("There is no report")
    _write(exam)
    refusal = _refusal(add, text="Later.", password=DEFAULT_PASSWORD)
    assert refusal.message.startswith("This report is still preliminary")
    _write(exam, final=True, password=DEFAULT_PASSWORD)
    assert set(_refusal(add, text="  ", password=DEFAULT_PASSWORD).fields) == {"text"}
    assert set(_refusal(add, text="Later.", password="wrong").fields) == {"password"}
    technologist = StaffMemberFactory().user
    refusal = _refusal(reports.add_addendum, appointment_id=exam.pk, actor=technologist, text="Later.")
    assert refusal.code == "forbidden"
    assert not ReportAddendum.objects.exists()
    add(text="First.", password=DEFAULT_PASSWORD)
    add(text="Second.", signature=reports.TOKEN)
    assert list(ReportAddendum.objects.values_list("number", "text")) == [(1, "First."), (2, "Second.")]
    assert [call[2] for call in told] == [None, None, 1, 2]


def test_a_completed_or_followed_up_exam_may_be_reported_too():
    for status in ("completed", "follow_up"):
        exam = AppointmentFactory(status=status)
        assert _write(exam).version == 1


def test_signing_a_report_makes_the_patients_result_letter_due_and_a_preliminary_does_not(exam):
    from radiology.models import ResultLetter

    _write(exam)
    assert not ResultLetter.objects.exists()
    _write(exam, final=True, password=DEFAULT_PASSWORD)
    letter = ResultLetter.objects.get()
    assert letter.report == Report.objects.get(appointment=exam) and letter.sent_at is None


def test_signing_a_report_that_recommends_something_opens_its_tracked_follow_up(exam):
    from radiology.models import FollowUp

    _write(exam, recommendation="ultrasound")
    assert not FollowUp.objects.exists()  # a preliminary recommends nothing yet
    _write(exam, recommendation="ultrasound", final=True, password=DEFAULT_PASSWORD)
    follow_up = FollowUp.objects.get()
    assert (follow_up.kind, follow_up.state, follow_up.appointment_id) == ("ultrasound", "open", exam.pk)
