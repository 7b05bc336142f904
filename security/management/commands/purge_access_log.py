"""Delete read-audit entries older than ACCESS_LOG_DAYS (also run daily by beat)."""

from django.core.management.base import BaseCommand

from security.access_log import purge_access_log


class Command(BaseCommand):
    help = "Delete access log entries older than ACCESS_LOG_DAYS."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {purge_access_log()} access log entries.")
