"""E-mail through Django's mailers (MAILERS["default"]: SMTP, file, console, locmem)."""

import hashlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from notifications.channels import LookupUnsupported, Outgoing, PermanentError, TransientError


def message_id_for(idempotency_key: str) -> str:
    """A stable Message-ID: a resend after a lost outcome carries the same one, so mail
    systems that de-duplicate on it (many do) show the patient one message."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


class EmailBackend:
    def send(self, outgoing: Outgoing) -> str:
        message_id = message_id_for(outgoing.idempotency_key)
        email = EmailMultiAlternatives(
            subject=outgoing.subject,
            body=outgoing.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[outgoing.recipient],
            headers={"Message-ID": message_id},
        )
        if outgoing.html:
            email.attach_alternative(outgoing.html, "text/html")
        try:
            email.send(using="default")
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            code = getattr(error, "smtp_code", None)
            if code is None and isinstance(error, smtplib.SMTPRecipientsRefused):
                code = min(c for c, _ in error.recipients.values())
            if code is not None and 500 <= code < 600:
                raise PermanentError(f"SMTP {code}: refused") from error
            raise TransientError(f"SMTP {code}: try later") from error
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            raise TransientError(f"SMTP unavailable: {type(error).__name__}") from error
        return message_id

    def lookup(self, idempotency_key: str) -> str | None:
        # SMTP cannot answer "did you already take this one?": see docs/reminders.md.
        raise LookupUnsupported
