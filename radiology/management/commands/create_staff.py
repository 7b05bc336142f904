"""Create a staff login with its role: `manage.py create_staff USERNAME --role manager ...`.

The way to create the first manager of a production department (the demo never loads
there). The password is asked twice on a terminal, or read from standard input with
--password-stdin (for provisioning scripts), and must pass the password validators.
Clinical roles (radiologist, technologist, nurse) also get a calendar, Mon–Fri 08:00–17:00,
which managers adjust in the admin.
"""

import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from radiology.models import StaffMember
from radiology.services.department import ensure_staff_member


class Command(BaseCommand):
    help = "Create a staff user in a role (scheduler, technologist, nurse, radiologist, manager)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=StaffMember.Role.values)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")

    def handle(self, *args, username, role, first_name, last_name, email, password_stdin, **options):
        if get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"There is already a user “{username}”.")
        password = self._password(password_stdin)
        candidate = get_user_model()(username=username, first_name=first_name, last_name=last_name, email=email)
        try:
            validate_password(password, candidate)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        member = ensure_staff_member(
            username=username,
            role=role,
            first_name=first_name or username,
            last_name=last_name,
            password=password,
            email=email,
        )
        self.stdout.write(self.style.SUCCESS(f"Created {member.get_role_display().lower()} “{username}”."))

    def _password(self, from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            if not sys.stdin.isatty():
                raise CommandError("No terminal to ask for a password: use --password-stdin.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        if not password:
            raise CommandError("The password is empty.")
        return password
