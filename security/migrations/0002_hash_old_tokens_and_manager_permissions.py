from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from radiology.roles import sync_role_groups


def hash_old_tokens(apps, schema_editor):
    """Tokens issued before knox were stored in clear (rest_framework.authtoken): keep them
    working for the systems that hold them, stored as knox digests, then delete the clear text."""
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("security", "ApiToken")
    expiry = timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
    for old in Token.objects.all():
        ApiToken.objects.create(
            digest=hash_token(old.key),
            token_key=old.key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=old.user_id,
            expiry=expiry,
            name="api (before hashing)",
        )
    Token.objects.all().delete()


def manager_permissions(apps, schema_editor):
    # Managers read the access log and unlock log-ins (radiology.roles).
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0001_access_log_and_api_tokens"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [
        migrations.RunPython(hash_old_tokens, migrations.RunPython.noop),
        migrations.RunPython(manager_permissions, migrations.RunPython.noop),
    ]
