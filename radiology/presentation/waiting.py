"""How long something has waited, as a list shows it: "waiting 40 min", "waiting 3 h", "2 days"."""

from datetime import datetime, timedelta


def waiting_text(since: datetime | None, now: datetime) -> str:
    if since is None:
        return ""
    waited = max(now - since, timedelta(0))
    minutes = int(waited.total_seconds() // 60)
    if minutes < 60:
        return f"waiting {minutes} min"
    if waited < timedelta(hours=48):
        return f"waiting {minutes // 60} h"
    return f"waiting {waited.days} days"
