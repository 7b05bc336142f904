from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from radiology.management.demo import build_demo_department
from radiology.models import Patient


class Command(BaseCommand):
    help = "Build the demo department (idempotent). Password from DEMO_PASSWORD."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if there are patients already.")

    def handle(self, *args, if_empty=False, **options):
        if settings.PRODUCTION:
            # The demo users share a published password: never in production (issue 9, defect 3).
            message = (
                "DJANGO_ENV=production: the demo department is never loaded. Create the first manager with "
                "`python manage.py create_staff USERNAME --role manager` (or `createsuperuser`)."
            )
            if if_empty:  # `make run`: say so and carry on starting the service
                self.stdout.write(message)
                return
            raise CommandError(message)
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
