"""Patients, rooms and staff: who is examined, where, and by whom."""

from datetime import date

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

# The MRN rule lives here (the model is the lowest layer); radiology.rules re-exports it.
MRN_PATTERN = r"^[A-Za-z0-9-]{3,20}$"
MRN_MESSAGE = "An MRN is 3–20 letters, digits or dashes."


class Channel(models.TextChoices):
    SMS = "sms", "Text message (SMS)"
    EMAIL = "email", "E-mail"


class ContactFlag(models.TextChoices):
    """Why a scheduler must look at how a patient is reached (radiology.contact)."""

    CLEAR = "", "None"
    CHECK = "check_contact", "Check contact: a number or address as sent could not be read"
    NONE_GIVEN = "no_contact", "No contact: no phone or e-mail reaches her"


class Language(models.TextChoices):
    """The languages the product speaks to patients in (messages, her pages)."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"


class Patient(models.Model):
    # What staff and systems enter about a patient (the registration form and the API).
    CONTACT_FIELDS = (
        "mrn",
        "given_name",
        "family_name",
        "birth_date",
        "sex",
        "phone",
        "email",
        "preferred_channel",
        "language",
        "contrast_allergy",
        "contrast_allergy_note",
    )

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    mrn = models.CharField(
        "MRN",
        max_length=20,
        unique=True,
        validators=[RegexValidator(MRN_PATTERN, MRN_MESSAGE)],
    )
    # Blank only on a record a system sent without them (HL7 ADT): it is kept, flagged
    # "details missing" for the schedulers; staff forms and the API still ask for both.
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.FEMALE)
    phone = PhoneNumberField(blank=True, help_text="Stored as E.164, e.g. +12025550123.")
    email = models.EmailField(blank=True)
    preferred_channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SMS)
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH)
    # She needs an interpreter: the hospital sent a language the product does not speak
    # (PID-15), or its interpreter field said so (settings.HL7_INTERPRETER_FIELD).
    interpreter_needed = models.BooleanField(default=False)
    interpreter_language = models.CharField(
        max_length=60, blank=True, help_text="Her language as the hospital sent it, when it is not one we speak."
    )
    # What the day needs for her (the check-in desk, the room): an interpreter booked, a
    # wheelchair, hearing or sight, anything else. Shown on the day list and her appointments.
    interpreter_booked = models.BooleanField(default=False)
    wheelchair = models.BooleanField("uses a wheelchair", default=False)
    hearing_impaired = models.BooleanField("hearing impaired", default=False)
    visually_impaired = models.BooleanField("visually impaired", default=False)
    access_note = models.CharField(
        "other needs", max_length=300, blank=True, help_text="E.g. needs a hoist, a chaperone, extra time."
    )
    contrast_allergy = models.BooleanField(default=False)
    contrast_allergy_note = models.CharField(max_length=300, blank=True)
    # A system's message is never refused over contact data (radiology.contact): what could
    # not be read is kept here as text, and the flag puts her on the schedulers' to-do.
    contact_flag = models.CharField(max_length=20, choices=ContactFlag.choices, blank=True, default="")
    contact_as_sent = models.CharField(
        max_length=200, blank=True, help_text="Contact details as a system sent them that are not a number or address."
    )
    contact_flagged_at = models.DateTimeField(null=True, blank=True)
    # Set while a system's record lacks her birth date or given name (missing_details).
    details_flagged_at = models.DateTimeField(null=True, blank=True)
    # Death as the hospital reports it (ADT PID-29/30): the time when it is known.
    deceased = models.BooleanField(default=False)
    deceased_at = models.DateTimeField(null=True, blank=True)
    # A duplicate record the hospital merged (ADT^A40): kept so old links and ids still lead
    # to her, pointing to the record that now holds everything (radiology.services.patient_merge).
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [models.Index(fields=["family_name", "given_name"], name="patient_name")]
        constraints = [
            # Reachable on her channel, or flagged for a scheduler to reach her another way.
            models.CheckConstraint(
                condition=(Q(preferred_channel="sms") & ~Q(phone=""))
                | (Q(preferred_channel="email") & ~Q(email=""))
                | ~Q(contact_flag=""),
                name="patient_reachable_or_flagged",
            ),
            models.CheckConstraint(
                condition=Q(contact_flag="") | Q(contact_flagged_at__isnull=False),
                name="patient_contact_flag_is_dated",
            ),
            # Complete, or flagged for a scheduler to complete.
            models.CheckConstraint(
                condition=(Q(birth_date__isnull=False) & ~Q(given_name="")) | Q(details_flagged_at__isnull=False),
                name="patient_complete_or_flagged",
            ),
            models.CheckConstraint(
                condition=Q(deceased_at__isnull=True) | Q(deceased=True),
                name="patient_death_time_means_deceased",
            ),
            models.CheckConstraint(
                condition=Q(interpreter_booked=False) | Q(interpreter_needed=True),
                name="patient_interpreter_booked_means_needed",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True, merged_at__isnull=True)
                | Q(merged_into__isnull=False, merged_at__isnull=False),
                name="patient_merge_is_dated",
            ),
        ]

    def __str__(self):
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def missing_details(self) -> list[str]:
        """What her record lacks, in words for the schedulers ("birth date missing")."""
        return [name for name, value in (("birth date", self.birth_date), ("given name", self.given_name)) if not value]

    @property
    def needs(self) -> list[tuple[str, str]]:
        """Her interpreter and access needs as (short badge, sentence for screen readers)."""
        found = []
        if self.interpreter_needed:
            language = f" ({self.interpreter_language})" if self.interpreter_language else ""
            booked = "booked" if self.interpreter_booked else "not booked yet"
            found.append((f"Interpreter{language}", f"Interpreter needed{language}: {booked}"))
        if self.wheelchair:
            found.append(("Wheelchair", "Uses a wheelchair"))
        if self.hearing_impaired:
            found.append(("Hearing", "Hearing impaired"))
        if self.visually_impaired:
            found.append(("Sight", "Visually impaired"))
        if self.access_note:
            found.append(("Other need", self.access_note))
        return found

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class Room(models.Model):
    """A procedure room. Its calendar and capabilities live on the scheduling resource."""

    name = models.CharField(max_length=100, unique=True)
    location = models.CharField(max_length=200, blank=True, help_text="Shown to patients: where to go.")
    resource = models.OneToOneField("scheduling.Resource", on_delete=models.PROTECT, related_name="room")
    # The mammography unit's DICOM AE title: its worklist query names it (ScheduledStationAETitle).
    ae_title = models.CharField(
        "DICOM AE title",
        max_length=16,
        blank=True,
        validators=[RegexValidator(r"^[ -\[\]-~]*$", "An AE title has printable characters only, no backslash.")],
        help_text="The modality's AE title, up to 16 characters, e.g. MAMMO1.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["ae_title"], condition=~Q(ae_title=""), name="room_ae_title_unique"),
        ]

    def __str__(self):
        return self.name


class StaffMember(models.Model):
    class Role(models.TextChoices):
        RADIOLOGIST = "radiologist", "Radiologist"
        TECHNOLOGIST = "technologist", "Technologist"
        NURSE = "nurse", "Nurse"
        SCHEDULER = "scheduler", "Scheduler"
        MANAGER = "manager", "Manager"

    CLINICAL_ROLES = (Role.RADIOLOGIST, Role.TECHNOLOGIST, Role.NURSE)
    ASSISTING_ROLES = (Role.TECHNOLOGIST, Role.NURSE)

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices)
    resource = models.OneToOneField(
        "scheduling.Resource", null=True, blank=True, on_delete=models.PROTECT, related_name="staff_member"
    )
    phone = PhoneNumberField(blank=True)

    class Meta:
        ordering = ["role", "user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["scheduler", "manager"]) | Q(resource__isnull=False),
                name="clinical_staff_have_a_calendar",
            ),
        ]

    def __str__(self):
        name = self.user.get_full_name() or self.user.get_username()
        return f"{name} ({self.get_role_display()})"

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()
