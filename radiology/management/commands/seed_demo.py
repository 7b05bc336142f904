from django.conf import settings
from django.core.management.base import BaseCommand

from radiology.management.demo import build_demo_department
from radiology.models import Patient


class Command(BaseCommand):
    help = "Build the demo department (idempotent). Password from DEMO_PASSWORD."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if there are patients already.")

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Patient.objects.exists():
            self.stdout.write("Database already has data; demo not loaded again.")
            return
        password = settings.DEMO_PASSWORD
        counts = build_demo_department(password=password, log=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS("Demo department ready: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        )
        self.stdout.write(
            f"Log in as scheduler, technologist, nurse, radiologist or manager with the password “{password}”."
        )
