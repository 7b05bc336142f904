import re

from django.conf import settings


def clinic(request):
    return {
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_TIME_ZONE": settings.CLINIC_TIME_ZONE,
        # The number patients are told to call, and the same for a tel: link.
        "CLINIC_PHONE": settings.CLINIC_PHONE,
        "CLINIC_PHONE_TEL": re.sub(r"[^\d+]", "", settings.CLINIC_PHONE),
    }
