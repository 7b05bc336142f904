"""The buttons for an appointment's actions, as every page shows them: what the action table
offers this user now, with the URL of the page that performs it. Templates only render the
list; they decide nothing."""

from dataclasses import dataclass
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone

from radiology.services.action_table import ACTIONS, offered_actions


@dataclass(frozen=True)
class ActionLink:
    name: str
    label: str
    url: str
    style: str


def action_links(*, user, back: str, now=None, group: str | None = None):
    """A function giving an appointment's ActionLinks. URLs are reversed once per page, not
    once per row: the day list is the most-read page."""
    permissions = user.get_all_permissions()
    now = now or timezone.now()
    templates = {
        spec.name: reverse(f"radiology:{spec.url_name}", args=[0]).replace("/0/", "/{}/")
        for spec in ACTIONS.values()
        if spec.url_name
    }
    suffix = "?next=" + quote(back)

    def links(appointment) -> list[ActionLink]:
        return [
            ActionLink(spec.name, spec.label, templates[spec.name].format(appointment.pk) + suffix, spec.style)
            for spec in offered_actions(appointment, permissions=permissions, now=now, group=group)
        ]

    return links
