from django.apps import AppConfig


class RadiologyConfig(AppConfig):
    name = "radiology"

    def ready(self):
        from notifications import registry
        from radiology import reminder_tasks  # noqa: F401 - registers the digest-planning task
        from radiology.services import reminders

        registry.register(
            "appointment",
            context=reminders.message_context,
            skip_reason=reminders.message_skip_reason,
            on_delivered=reminders.message_delivered,
            link=reminders.subject_link,
        )
        registry.register("digest", context=reminders.digest_context)
        # HL7 SIU rows carry their payload; the problems page links them to the appointment.
        from radiology.services import hl7_events

        registry.register(hl7_events.PREFIX, link=hl7_events.subject_link)
