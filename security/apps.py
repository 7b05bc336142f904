from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """What a clinic's IT expects around the application: throttled log-ins, idle sessions
    that end, hashed and expiring API tokens, a read audit, safe headers and error pages."""

    name = "security"
    verbose_name = "Security and audit"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from security import schema  # noqa: F401 - registers the token scheme with drf-spectacular
        from security.middleware import start_activity_clock

        user_logged_in.connect(start_activity_clock, dispatch_uid="security.start_activity_clock")

        from security import read_audit

        read_audit.connect_receivers()

        from notifications import registry
        from security import unlock

        # The unlock e-mail's link is signed when it is sent; a used or expired one is not sent.
        registry.register(unlock.SUBJECT, context=unlock.message_context, skip_reason=unlock.message_skip_reason)
