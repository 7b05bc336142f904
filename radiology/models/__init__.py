"""The department's models, by concept. Everything is importable from radiology.models."""

from radiology.models.appointments import (  # noqa: F401
    ACTIVE_STATES,
    APPOINTMENT_PREFIX,
    CANCELLABLE,
    PERFORMED_STATES,
    UPCOMING,
    Appointment,
    AppointmentStatus,
    AppointmentTransition,
    appointment_id_from_reference,
    appointment_reference,
)
from radiology.models.follow_ups import (  # noqa: F401
    FOLLOW_UP_KINDS,
    FOLLOW_UP_PREFIX,
    MESSAGE_STEPS,
    TODO_STEPS,
    EscalationRule,
    FollowUp,
    FollowUpInterval,
    Loop,
    LoopEvent,
    LoopStep,
    Rebooking,
    StepKind,
)
from radiology.models.inbound import INBOUND_SMS_PREFIX, INVITATION_PREFIX, InboundSms, OrderInvitation  # noqa: F401
from radiology.models.interfaces import CalendarFeed, InterfaceMessage, PerformedProcedureStep  # noqa: F401
from radiology.models.letters import LetterRule, ResultLetter  # noqa: F401, E402 - after reports, which it needs
from radiology.models.offers import OFFER_PREFIX, OfferRound, SlotOffer, WaitingListEntry, offer_reference  # noqa: F401
from radiology.models.orders import AccessionCounter, Order  # noqa: F401
from radiology.models.people import MRN_MESSAGE, MRN_PATTERN, Channel, ContactFlag, Language, Patient, Room, StaffMember  # noqa: F401
from radiology.models.records import CheckInChecklist, FollowUpPlan, ProcedureOutcome, ReadinessResponse  # noqa: F401
from radiology.models.reports import Assessment, Recommendation, Report, ReportAddendum  # noqa: F401
from radiology.models.worklists import DayVersion, TodoNote  # noqa: F401
