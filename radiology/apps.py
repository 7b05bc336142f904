from django.apps import AppConfig


class RadiologyConfig(AppConfig):
    name = "radiology"

    def ready(self):
        # Accent-insensitive patient search on SQLite (PostgreSQL has the unaccent extension).
        from django.db.backends.signals import connection_created

        from radiology.search import register_sqlite_unaccent

        connection_created.connect(register_sqlite_unaccent, dispatch_uid="radiology_sqlite_unaccent")
        from notifications import registry
        from radiology import reminder_tasks  # noqa: F401 - registers the digest-planning task
        from radiology.services import reminders
        from radiology.subjects import describe_appointments

        registry.register(
            "appointment",
            context=reminders.message_context,
            skip_reason=reminders.message_skip_reason,
            on_delivered=reminders.message_delivered,
            link=reminders.subject_link,
            describe=describe_appointments,  # staff pages say who and when, not "appointment:31"
        )
        registry.register("digest", context=reminders.digest_context)
