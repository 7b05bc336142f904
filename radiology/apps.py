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
