"""Revoke API tokens: `manage.py revoke_api_token USERNAME [--name N | --token T | --all]`.

Without an option it lists the user's tokens (name, first characters, expiry, last use).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from security.models import ApiToken
from security.tokens import revoke_tokens


class Command(BaseCommand):
    help = "List or revoke a user's API tokens."

    def add_arguments(self, parser):
        parser.add_argument("username")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--name", help="Revoke the tokens with this name.")
        which.add_argument("--token", help="Revoke the token that starts with these characters (or the whole token).")
        which.add_argument("--all", action="store_true", help="Revoke all the user's tokens.")

    def handle(self, *args, username, name, token, all, **options):  # noqa: A002 - the option's name
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user “{username}”.")
        if not (name or token or all):
            for t in ApiToken.objects.filter(user=user):
                self.stdout.write(
                    f"{t.name}\t{t.token_key}…\texpires {t.expiry:%Y-%m-%d}\tlast used {t.last_used_at or 'never'}"
                )
            return
        if token is not None and len(token) < 8:
            raise CommandError("Give at least the first 8 characters of the token.")
        deleted = revoke_tokens(user=user, name=name, token_key=token)
        if not deleted:
            raise CommandError("No token matched; nothing was revoked.")
        self.stdout.write(f"Revoked {deleted} token(s) of {username}.")
