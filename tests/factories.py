"""factory-boy factories for every model. Clinical staff and rooms come with a calendar
resource that works Monday–Friday 08:00–17:00 clinic time unless told otherwise."""

import hashlib
import uuid
from datetime import date, time, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from notifications.models import Message
from procedures.models import Procedure, ReminderRule
from radiology.models import (
    PERFORMED_STATES,
    AccessionCounter,
    Appointment,
    AppointmentTransition,
    CalendarFeed,
    CheckInChecklist,
    FollowUpPlan,
    InterfaceMessage,
    Order,
    Patient,
    PerformedProcedureStep,
    ProcedureOutcome,
    ReadinessResponse,
    Room,
    StaffMember,
)
from scheduling.clinic_time import clinic_zone
from scheduling.models import Capability, Reservation, Resource, Unavailability, WorkingHours

DEFAULT_PASSWORD = "test-pass-123"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*[Group.objects.get(name=name) for name in extracted])
        if create:
            self.save()


class CapabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Capability
        django_get_or_create = ("slug",)

    slug = "mammography"
    name = factory.LazyAttribute(lambda c: c.slug.replace("-", " ").capitalize())


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Resource {n}")
    kind = Resource.Kind.PERSON

    @factory.post_generation
    def weekday_hours(self, create, extracted, **kwargs):
        """weekday_hours=[(weekday, start, end), ...]; default Mon–Fri 08:00–17:00; [] for none."""
        if not create:
            return
        blocks = extracted if extracted is not None else [(d, time(8), time(17)) for d in range(5)]
        for weekday, start, end in blocks:
            WorkingHours.objects.create(resource=self, weekday=weekday, start_time=start, end_time=end)


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    resource = factory.SubFactory(ResourceFactory, weekday_hours=[])
    weekday = 0
    start_time = time(8)
    end_time = time(17)


class UnavailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unavailability

    resource = factory.SubFactory(ResourceFactory)
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    end = factory.LazyAttribute(lambda u: u.start + timedelta(hours=4))
    kind = Unavailability.Kind.TIME_OFF
    reason = "Leave"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Mammo {n + 1}")
    location = "Radiology, Level 2"
    resource = factory.SubFactory(ResourceFactory, kind=Resource.Kind.ROOM, name=factory.SelfAttribute("..name"))

    @factory.post_generation
    def capabilities(self, create, extracted, **kwargs):
        if create:
            for slug in extracted if extracted is not None else ["mammography"]:
                self.resource.capabilities.add(CapabilityFactory(slug=slug))


class StaffMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember
        skip_postgeneration_save = True

    role = StaffMember.Role.TECHNOLOGIST
    user = factory.SubFactory(UserFactory)
    resource = factory.Maybe(
        factory.LazyAttribute(lambda s: s.role in StaffMember.CLINICAL_ROLES),
        yes_declaration=factory.SubFactory(
            ResourceFactory, kind=Resource.Kind.PERSON, name=factory.SelfAttribute("..user.username")
        ),
        no_declaration=None,
    )

    @factory.post_generation
    def join_role_group(self, create, extracted, **kwargs):
        if create:
            self.user.groups.add(Group.objects.get(name=self.role))

    @factory.post_generation
    def also(self, create, extracted, **kwargs):
        """Further roles the same person holds, e.g. also=["radiologist"]."""
        if create and extracted:
            self.user.groups.add(*Group.objects.filter(name__in=extracted))

    class Params:
        radiologist = factory.Trait(role=StaffMember.Role.RADIOLOGIST)
        nurse = factory.Trait(role=StaffMember.Role.NURSE)
        scheduler = factory.Trait(role=StaffMember.Role.SCHEDULER)
        manager = factory.Trait(role=StaffMember.Role.MANAGER)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    given_name = factory.Faker("first_name_female")
    family_name = factory.Faker("last_name")
    birth_date = factory.Faker("date_of_birth", minimum_age=25, maximum_age=80)
    sex = Patient.Sex.FEMALE
    phone = factory.Sequence(lambda n: f"+1202555{n % 10000:04d}")
    email = factory.LazyAttribute(lambda p: f"{p.mrn.lower()}@patients.example.org")

    class Params:
        # As a system's order leaves her when its contact data could not be read, or had none.
        check_contact = factory.Trait(
            phone="",
            email="",
            contact_flag="check_contact",
            contact_as_sent="(046)927-3235",
            contact_flagged_at=factory.LazyFunction(timezone.now),
        )
        no_contact = factory.Trait(
            phone="", email="", contact_flag="no_contact", contact_flagged_at=factory.LazyFunction(timezone.now)
        )


class ProcedureFactory(factory.django.DjangoModelFactory):
    """The galactogram that the catalog migration loads; other slugs make new procedures."""

    class Meta:
        model = Procedure
        django_get_or_create = ("slug",)

    slug = "galactogram"
    name = "Mammary ductogram (galactogram)"
    injection_cpt = "19030"
    summary = "Test procedure"
    preparation = "- Do not express fluid for 48 hours."


class ReminderRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderRule

    procedure = factory.SubFactory(ProcedureFactory)
    kind = factory.Sequence(lambda n: f"kind{n}")
    anchor = ReminderRule.Anchor.ELAPSED_BEFORE_START
    offset_minutes = 60


def _next_weekday_at(hour: int, days_ahead: int = 7):

    day = timezone.now().astimezone(clinic_zone()).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return timezone.datetime.combine(day, time(hour), tzinfo=clinic_zone())


class OrderFactory(factory.django.DjangoModelFactory):
    """A waiting order (identifiers from a sequence, not the accession counter)."""

    class Meta:
        model = Order

    patient = factory.SubFactory(PatientFactory)
    procedure = factory.SubFactory(ProcedureFactory)
    accession_number = factory.Sequence(lambda n: f"GT{n:08d}")
    study_instance_uid = factory.Sequence(lambda n: f"2.25.{n + 1}{uuid.uuid4().int % 10**20}")
    referring_physician_family_name = "House"
    referring_physician_given_name = "Gregory"
    indication = Order.Indication.SPONTANEOUS_SINGLE_DUCT
    side = Order.Side.LEFT
    received_at = factory.LazyFunction(timezone.now)


class AppointmentFactory(factory.django.DjangoModelFactory):
    """An appointment (no reservations: use the booking service for those)."""

    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    procedure = factory.SubFactory(ProcedureFactory)
    order = factory.SubFactory(
        OrderFactory,
        patient=factory.SelfAttribute("..patient"),
        procedure=factory.SelfAttribute("..procedure"),
        status=Order.Status.SCHEDULED,
    )
    start = factory.LazyFunction(lambda: _next_weekday_at(10))
    duration_minutes = 45
    end = factory.LazyAttribute(lambda a: a.start + timedelta(minutes=a.duration_minutes))
    room = factory.SubFactory(RoomFactory)
    radiologist = factory.SubFactory(StaffMemberFactory, radiologist=True)
    technologist = factory.SubFactory(StaffMemberFactory)
    status = "booked"
    # A performed exam has its time (the database requires it): by default, its booked end.
    performed_at = factory.LazyAttribute(lambda a: a.end if a.status in PERFORMED_STATES else None)


class AppointmentTransitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentTransition

    appointment = factory.SubFactory(AppointmentFactory)
    action = "check_in"
    from_status = "booked"
    to_status = "checked_in"
    at = factory.LazyFunction(timezone.now)


class ReservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reservation

    resource = factory.SubFactory(ResourceFactory)
    start = factory.LazyFunction(lambda: _next_weekday_at(9))
    end = factory.LazyAttribute(lambda r: r.start + timedelta(minutes=45))
    holder = factory.Sequence(lambda n: f"test:{n}")


def a_weekday(days_ahead: int = 7) -> date:
    return _next_weekday_at(0, days_ahead).date()


def small_department(*, rooms: int = 1, radiologists: int = 1, technologists: int = 1):
    """Mammography rooms, radiologists and technologists who all work Mon–Fri 08:00–17:00."""
    from types import SimpleNamespace

    return SimpleNamespace(
        rooms=[RoomFactory() for _ in range(rooms)],
        radiologists=[StaffMemberFactory(radiologist=True) for _ in range(radiologists)],
        technologists=[StaffMemberFactory() for _ in range(technologists)],
    )


class MessageFactory(factory.django.DjangoModelFactory):
    """An outbox row: an SMS to a patient, due now, about a made-up subject."""

    class Meta:
        model = Message

    subject = factory.Sequence(lambda n: f"test:{n}")
    audience = Message.Audience.PATIENT
    recipient = factory.Sequence(lambda n: f"+1202555{n % 10000:04d}")
    channel = Message.Channel.SMS
    kind = "prep"
    language = "en"
    context = factory.LazyFunction(
        lambda: {
            "first_name": "Ana",
            "start_at": "2026-03-10T15:00:00+00:00",
            "tz": "America/New_York",
            "place": "Radiology, Level 2",
            "clinic_name": "Breast Imaging",
            "clinic_phone": "+1 555 0100",
            "link": "http://testserver/p/1/x/",
        }
    )
    due_at = factory.LazyFunction(timezone.now)
    idempotency_key = factory.Sequence(lambda n: f"test:{n}:key")


class ReadinessResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReadinessResponse

    appointment = factory.SubFactory(AppointmentFactory)
    discharge_present = True
    expressed_last_48h = False
    contrast_allergy = False
    answered_at = factory.LazyFunction(timezone.now)


class CheckInChecklistFactory(factory.django.DjangoModelFactory):
    """Everything confirmed, as at a normal check-in."""

    class Meta:
        model = CheckInChecklist

    appointment = factory.SubFactory(AppointmentFactory, status="checked_in")
    identity_confirmed = True
    contrast_allergy_asked = True
    discharge_present_today = True
    not_expressed_last_48h = True
    consent_signed = True
    side_confirmed = True
    pregnancy = CheckInChecklist.Pregnancy.NOT_PREGNANT
    pregnancy_settled_by = CheckInChecklist.SettledBy.ASKED
    breastfeeding = False
    breastfeeding_settled_by = CheckInChecklist.SettledBy.ASKED
    completed_by = factory.SubFactory(UserFactory)
    completed_at = factory.LazyFunction(timezone.now)


class ProcedureOutcomeFactory(factory.django.DjangoModelFactory):
    """A single-duct study without complications."""

    class Meta:
        model = ProcedureOutcome

    appointment = factory.SubFactory(AppointmentFactory, status="completed")
    ducts = ProcedureOutcome.Ducts.SINGLE
    injection_cpt = "19030"
    imaging_cpt = "77053"
    contrast_volume_ml = 1.5
    complications = factory.LazyFunction(lambda: ["none"])
    performing_radiologist = factory.SelfAttribute("appointment.radiologist")
    performing_technologist = factory.SelfAttribute("appointment.technologist")
    recorded_by = factory.SelfAttribute("appointment.radiologist.user")
    recorded_at = factory.LazyFunction(timezone.now)


class FollowUpPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUpPlan

    appointment = factory.SubFactory(AppointmentFactory, status="follow_up")
    kind = FollowUpPlan.Kind.RESULTS_CONSULTATION
    scheduled_for = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    decided_by = factory.SelfAttribute("appointment.radiologist.user")
    decided_at = factory.LazyFunction(timezone.now)


class AccessionCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessionCounter
        django_get_or_create = ("day",)

    day = factory.Sequence(lambda n: date(2020, 1, 1) + timedelta(days=n))
    last = 0


class InterfaceMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterfaceMessage

    sender = "EPIC@GENHOSP"
    control_id = factory.Sequence(lambda n: f"MSG{n:06d}")
    message_type = "ORM^O01"
    version = "2.5.1"
    order_control = "NW"
    raw = factory.LazyAttribute(lambda m: f"MSH|^~\\&|EPIC|GENHOSP|||||ORM^O01|{m.control_id}|P|2.5.1")
    outcome = InterfaceMessage.Outcome.ACCEPTED
    detail = "Order created."
    reply = factory.LazyAttribute(lambda m: f"MSH|^~\\&|GALACTO|RADIOLOGY\rMSA|AA|{m.control_id}")
    received_at = factory.LazyFunction(timezone.now)


class PerformedProcedureStepFactory(factory.django.DjangoModelFactory):
    """An MPPS step in progress, linked to its appointment as the modality reported it."""

    class Meta:
        model = PerformedProcedureStep

    sop_instance_uid = factory.Sequence(lambda n: f"1.2.826.0.1.3680043.10.{n + 1}")
    status = PerformedProcedureStep.Status.IN_PROGRESS
    appointment = factory.SubFactory(AppointmentFactory, status="in_procedure")
    study_instance_uid = factory.SelfAttribute("appointment.order.study_instance_uid")
    scheduled_step_id = factory.LazyAttribute(lambda s: f"SPS{s.appointment.pk}")
    accession_number = factory.SelfAttribute("appointment.order.accession_number")
    station_ae_title = "MAMMO1"
    started_at = factory.SelfAttribute("appointment.start")
    attributes = factory.LazyFunction(lambda: {"00400252": {"vr": "CS", "Value": ["IN PROGRESS"]}})
    received_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    """A technologist's calendar feed; its token is "token-<n>" (only the hash is stored)."""

    class Meta:
        model = CalendarFeed
        exclude = ("token",)

    kind = CalendarFeed.Kind.STAFF
    staff = factory.SubFactory(StaffMemberFactory)
    token = factory.Sequence(lambda n: f"token-{n}")
    token_hash = factory.LazyAttribute(lambda f: hashlib.sha256(f.token.encode()).hexdigest())
    created_at = factory.LazyFunction(timezone.now)


# --- the day list's change counters and the schedulers' call log (issue 10) ---
from radiology.models import DayVersion, TodoNote  # noqa: E402 - appended block, kept apart for merging


class DayVersionFactory(factory.django.DjangoModelFactory):
    """A counter row; real ones are written by the database triggers."""

    class Meta:
        model = DayVersion

    day = factory.Sequence(lambda n: date(2000, 1, 1) + timedelta(days=n))
    version = 1


class TodoNoteFactory(factory.django.DjangoModelFactory):
    """A scheduler's call about an appointment on the to-do list."""

    class Meta:
        model = TodoNote

    appointment = factory.SubFactory(AppointmentFactory)
    outcome = TodoNote.Outcome.CALLED
    note = "No answer; left a message"
    by = factory.SubFactory(UserFactory)
    at = factory.LazyFunction(timezone.now)


from radiology.models import Report, ReportAddendum  # noqa: E402 - appended block, kept apart for merging


class ReportFactory(factory.django.DjangoModelFactory):
    """A preliminary report on a completed exam (final=True: signed by its radiologist)."""

    class Meta:
        model = Report

    class Params:
        final = factory.Trait(
            status=Report.Status.FINAL,
            signed_by=factory.SelfAttribute("radiologist"),
            signed_at=factory.LazyFunction(timezone.now),
        )

    appointment = factory.SubFactory(AppointmentFactory, status="completed")
    findings = "Single duct opacified; an intraductal filling defect 4 mm from the nipple."
    impression = "Intraductal filling defect, likely papilloma."
    assessment = "4"
    recommendation = "biopsy"
    radiologist = factory.SelfAttribute("appointment.radiologist")
    written_by = factory.SelfAttribute("radiologist.user")
    written_at = factory.LazyFunction(timezone.now)


class ReportAddendumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportAddendum

    report = factory.SubFactory(ReportFactory, final=True)
    number = factory.Sequence(lambda n: n + 1)
    text = "Compared with the outside ultrasound: the finding corresponds."
    signed_by = factory.SelfAttribute("report.radiologist")
    signed_at = factory.LazyFunction(timezone.now)


from radiology.models import LetterRule, ResultLetter  # noqa: E402 - appended block, kept apart for merging


class LetterRuleFactory(factory.django.DjangoModelFactory):
    """The department's rule for one assessment (the migration made all seven: found, not added)."""

    class Meta:
        model = LetterRule
        django_get_or_create = ("assessment",)

    assessment = "3"
    due_within_days = 30


class ResultLetterFactory(factory.django.DjangoModelFactory):
    """A letter due for a final report (made as radiology.services.letters.on_report_final does)."""

    class Meta:
        model = ResultLetter

    report = factory.SubFactory(ReportFactory, final=True)
    patient = factory.SelfAttribute("report.appointment.patient")
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    created_at = factory.LazyFunction(timezone.now)


from radiology.models import (  # noqa: E402 - appended block, kept apart for merging
    EscalationRule,
    FollowUp,
    FollowUpInterval,
    LoopEvent,
    LoopStep,
    Rebooking,
)


class FollowUpIntervalFactory(factory.django.DjangoModelFactory):
    """A row of the intervals table (the migration loads one per kind: get it, or make it)."""

    class Meta:
        model = FollowUpInterval
        django_get_or_create = ("kind",)

    kind = "ultrasound"
    weeks = 4


class EscalationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationRule
        django_get_or_create = ("loop", "step")

    loop = "follow_up"
    step = "call_task"
    days_after = 7


class FollowUpFactory(factory.django.DjangoModelFactory):
    """An open follow-up of a final report's recommendation (a breast ultrasound)."""

    class Meta:
        model = FollowUp

    report = factory.SubFactory(ReportFactory, final=True, recommendation="ultrasound")
    appointment = factory.SelfAttribute("report.appointment")
    kind = "ultrasound"
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(weeks=4))
    created_at = factory.LazyFunction(timezone.now)


class RebookingFactory(factory.django.DjangoModelFactory):
    """The loop after a missed visit, waiting for her to choose a new time."""

    class Meta:
        model = Rebooking

    missed_appointment = factory.SubFactory(AppointmentFactory, status="no_show")
    order = factory.SelfAttribute("missed_appointment.order")
    missed_at = factory.LazyFunction(timezone.now)


class LoopStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoopStep

    follow_up = factory.SubFactory(FollowUpFactory)
    kind = "call_task"
    due_at = factory.LazyAttribute(lambda s: s.follow_up.due_at + timedelta(days=7))


class LoopEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoopEvent

    follow_up = factory.SubFactory(FollowUpFactory)
    action = "opened"
    at = factory.LazyFunction(timezone.now)


from radiology.models import InboundSms  # noqa: E402 - appended block, kept apart for merging


class InboundSmsFactory(factory.django.DjangoModelFactory):
    """A text a patient sent us, matched to her and kept for the inbox (issue 21 A)."""

    class Meta:
        model = InboundSms

    provider = InboundSms.Provider.GATEWAY
    provider_message_id = factory.Sequence(lambda n: f"gw-{n}")
    patient = factory.SubFactory(PatientFactory)
    from_number = factory.LazyAttribute(lambda o: str(o.patient.phone))
    to_number = "+12025550100"
    body = "What time should I arrive?"
    received_at = factory.LazyFunction(timezone.now)
    keyword = InboundSms.Keyword.OTHER
    outcome = InboundSms.Outcome.INBOX


from notifications.models import SmsOptOut  # noqa: E402 - appended block, kept apart for merging
from radiology.models import OfferRound, OrderInvitation, SlotOffer, WaitingListEntry  # noqa: E402


class SmsOptOutFactory(factory.django.DjangoModelFactory):
    """A number that replied STOP."""

    class Meta:
        model = SmsOptOut

    number = factory.Sequence(lambda n: f"+1202555{n % 10000:04d}")
    opted_out_at = factory.LazyFunction(timezone.now)
    source = "inbound SMS (STOP)"


class OrderInvitationFactory(factory.django.DjangoModelFactory):
    """An invitation to book a waiting order, sent by text, on the to-do after three days."""

    class Meta:
        model = OrderInvitation

    order = factory.SubFactory(OrderFactory)
    channel = "sms"
    sent_at = factory.LazyFunction(timezone.now)
    todo_due_at = factory.LazyAttribute(lambda o: o.sent_at + timedelta(hours=72))


class WaitingListEntryFactory(factory.django.DjangoModelFactory):
    """A patient on the earlier-slot waiting list for her order."""

    class Meta:
        model = WaitingListEntry

    order = factory.SubFactory(OrderFactory)
    patient = factory.SelfAttribute("order.patient")
    source = WaitingListEntry.Source.SCHEDULER
    added_at = factory.LazyFunction(timezone.now)


class OfferRoundFactory(factory.django.DjangoModelFactory):
    """Freed time being offered: 45 minutes four days ahead, given back by a cancellation."""

    class Meta:
        model = OfferRound

    procedure = factory.SubFactory(ProcedureFactory)
    duration_minutes = 45
    window_start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=4))
    window_end = factory.LazyAttribute(lambda o: o.window_start + timedelta(minutes=45))
    cause = OfferRound.Cause.CANCELLED
    created_at = factory.LazyFunction(timezone.now)


class SlotOfferFactory(factory.django.DjangoModelFactory):
    """The round's time offered to a waiting patient, held for her for 20 minutes."""

    class Meta:
        model = SlotOffer

    round = factory.SubFactory(OfferRoundFactory)
    entry = factory.SubFactory(WaitingListEntryFactory)
    patient = factory.SelfAttribute("entry.patient")
    start = factory.SelfAttribute("round.window_start")
    end = factory.SelfAttribute("round.window_end")
    room = factory.SubFactory(RoomFactory)
    radiologist = factory.SubFactory(StaffMemberFactory, radiologist=True)
    technologist = factory.SubFactory(StaffMemberFactory)
    offered_at = factory.LazyFunction(timezone.now)
    hold_expires_at = factory.LazyAttribute(lambda o: o.offered_at + timedelta(minutes=20))
