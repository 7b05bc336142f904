from django.apps import AppConfig


class RadiologyConfig(AppConfig):
    name = "radiology"

    def ready(self):
        # Accent-insensitive patient search on SQLite (PostgreSQL has the unaccent extension).
        from django.db.backends.signals import connection_created

        from radiology.selectors.search import register_sqlite_unaccent

        connection_created.connect(register_sqlite_unaccent, dispatch_uid="radiology_sqlite_unaccent")
        from django.db.models.signals import post_migrate

        from radiology.db_triggers import restore_sqlite_triggers

        post_migrate.connect(restore_sqlite_triggers, sender=self, dispatch_uid="radiology_sqlite_triggers")
        from notifications import registry
        from radiology import tasks  # noqa: F401 - registers the digest-planning task
        from radiology.models import APPOINTMENT_PREFIX, FOLLOW_UP_PREFIX, INBOUND_SMS_PREFIX, INVITATION_PREFIX
        from radiology.selectors.subjects import describe_appointments
        from radiology.services import (
            follow_ups,
            hl7_events,
            inbound_sms,
            invitation_steps,
            offers,
            outbox_hooks,
            reminders,
            staff_digests,
        )

        registry.register(
            APPOINTMENT_PREFIX,
            context=outbox_hooks.message_context,
            skip_reason=outbox_hooks.message_skip_reason,
            on_delivered=outbox_hooks.message_delivered,
            link=outbox_hooks.subject_link,
            describe=describe_appointments,  # staff pages say who and when, not "appointment:31"
        )
        # A tracked follow-up's overdue message: still wanted only while it is open.
        registry.register(FOLLOW_UP_PREFIX, skip_reason=follow_ups.message_skip_reason, link=follow_ups.subject_link)
        # Replies to a patient's text (a link signed at send time) and invitations to book an order.
        registry.register(INBOUND_SMS_PREFIX, context=inbound_sms.message_context, link=inbound_sms.subject_link)
        registry.register(
            INVITATION_PREFIX,
            context=invitation_steps.message_context,
            skip_reason=invitation_steps.message_skip_reason,
            link=invitation_steps.subject_link,
        )
        # An earlier-slot offer: her freshly signed offer link; still wanted only while held.
        registry.register(
            offers.OFFER_PREFIX,
            context=outbox_hooks.offer_context,
            skip_reason=offers.offer_skip_reason,
            link=outbox_hooks.offer_link,
        )
        registry.register_kind_labels({"earlier_slot": "Earlier time offered"})
        registry.register(staff_digests.DIGEST_PREFIX, context=staff_digests.digest_context)
        registry.register_kind_labels(reminders.MESSAGE_KIND_LABELS)
        # HL7 rows carry their payload; the problems page links them to the appointment or order.
        for prefix in hl7_events.KINDS:
            registry.register(prefix, link=hl7_events.subject_link)
        registry.register_kind_labels(hl7_events.KIND_LABELS)
