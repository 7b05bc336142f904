"""Print a new API token for a user: `manage.py issue_api_token USERNAME [--name N] [--days D]`.

Systems send it as `Authorization: Token <token>`; the user's role decides what it may do.
Only a digest is stored: the token is printed once and cannot be shown again. A user may hold
several tokens (one per system, by name); `--rotate` first revokes the tokens with that name.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from security.tokens import issue_token, revoke_tokens


class Command(BaseCommand):
    help = "Issue a new API token for a user and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="api", help="Which system uses the token (default: api).")
        parser.add_argument("--days", type=int, default=None, help="Days until it expires (default API_TOKEN_DAYS).")
        parser.add_argument("--rotate", action="store_true", help="Revoke the user's tokens with this name first.")

    def handle(self, *args, username, name, days, rotate, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user “{username}”.")
        if not user.is_active:
            raise CommandError(f"The user “{username}” is inactive; activate them first.")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        with transaction.atomic():
            if rotate:
                revoke_tokens(user=user, name=name)
            _, token = issue_token(user=user, name=name, days=days)
        self.stdout.write(token)
