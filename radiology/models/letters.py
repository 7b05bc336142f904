"""The patient's result letter, and the department's rule of when it is due.

A final report makes a letter due (radiology.services.letters.on_report_final): within the
days of the `LetterRule` row for the report's BI-RADS assessment (one row per assessment,
editable by managers; 30 days, 7 for assessments 4 and 5 by default). It goes out by post
(printed by staff: the print queue, then a "posted" mark), by her signed link (a message
saying a letter is ready, with no health information) or both; who and when are recorded.
Overdue is not stored: a letter still due whose `due_at` has passed."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from radiology.models.people import Patient
from radiology.models.reports import Assessment, Report

# The department's defaults (the data migration loads them; managers change them after).
DEFAULT_DUE_WITHIN_DAYS = 30
DUE_WITHIN_DAYS_BY_ASSESSMENT = {Assessment.SUSPICIOUS: 7, Assessment.HIGHLY_SUGGESTIVE: 7}


def default_letter_rules() -> dict[str, int]:
    return {value: DUE_WITHIN_DAYS_BY_ASSESSMENT.get(value, DEFAULT_DUE_WITHIN_DAYS) for value in Assessment.values}


class LetterRule(models.Model):
    """Days from a final report to its letter, per BI-RADS assessment."""

    assessment = models.CharField(max_length=1, choices=Assessment.choices, unique=True)
    due_within_days = models.PositiveSmallIntegerField(
        help_text="The letter is due this many days after the report is signed (final)."
    )

    class Meta:
        ordering = ["assessment"]
        constraints = [
            models.CheckConstraint(condition=Q(due_within_days__gt=0), name="letter_rule_days_positive"),
            models.CheckConstraint(condition=Q(assessment__in=Assessment.values), name="letter_rule_assessment_birads"),
        ]

    def __str__(self):
        return f"{self.get_assessment_display()}: within {self.due_within_days} days"


class ResultLetter(models.Model):
    class Status(models.TextChoices):
        DUE = "due", "Due"
        SENT = "sent", "Sent"
        # Not to go out any more: she died after it became due.
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Channel(models.TextChoices):
        POST = "post", "By post"
        LINK = "link", "By her link (SMS or e-mail)"
        BOTH = "both", "By post and by her link"

    BY_POST = (Channel.POST, Channel.BOTH)
    BY_LINK = (Channel.LINK, Channel.BOTH)

    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="letter")
    # Whose letter it is (moved to the surviving record when ADT merges her records).
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="result_letters")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DUE)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()
    # How staff chose to send it; empty until then.
    channel = models.CharField(max_length=4, choices=Channel.choices, blank=True, default="")
    # When it went out to her (her link, or the post mark when by post only), and who sent it.
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        permissions = [("send_result_letter", "Can send result letters (post or link)")]
        indexes = [
            models.Index(fields=["due_at"], name="letter_due", condition=Q(status="due")),
            models.Index(
                fields=["due_at"], name="letter_to_post", condition=Q(channel__in=["post", "both"], posted_at=None)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False, channel__in=["post", "link", "both"]),
                name="letter_sent_has_time_and_channel",
            ),
            models.CheckConstraint(
                condition=Q(posted_at__isnull=True, posted_by__isnull=True)
                | Q(posted_at__isnull=False, posted_by__isnull=False, channel__in=["post", "both"]),
                name="letter_posted_by_someone_by_post",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdrawn_reason=""), name="letter_withdrawn_says_why"
            ),
        ]

    def __str__(self):
        return f"Letter for report on #{self.report.appointment_id} ({self.get_status_display()})"

    def is_overdue(self, now) -> bool:
        return self.status == self.Status.DUE and self.due_at < now

    def state(self, now) -> str:
        """due, overdue, sent or withdrawn: what lists and the API call it."""
        return "overdue" if self.is_overdue(now) else self.status

    @property
    def to_post(self) -> bool:
        return self.channel in self.BY_POST and self.posted_at is None and self.status != self.Status.WITHDRAWN
