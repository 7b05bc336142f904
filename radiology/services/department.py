"""Setting up the department: rooms and staff, each with a scheduling resource."""

from datetime import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from radiology.models import Room, StaffMember
from scheduling.models import Capability, Resource, WorkingHours

WEEKDAYS = range(5)


@transaction.atomic
def ensure_room(*, name: str, location: str = "", capabilities=("mammography",), hours=None) -> Room:
    """Create (or find) a room with its calendar; default hours Mon–Fri 07:30–18:00."""
    room = Room.objects.select_related("resource").filter(name=name).first()
    if room:
        return room
    resource = Resource.objects.create(name=name, kind=Resource.Kind.ROOM)
    for slug in capabilities:
        capability, _ = Capability.objects.get_or_create(slug=slug, defaults={"name": slug.capitalize()})
        resource.capabilities.add(capability)
    _set_hours(resource, hours or [(d, time(7, 30), time(18)) for d in WEEKDAYS])
    return Room.objects.create(name=name, location=location, resource=resource)


@transaction.atomic
def ensure_staff_member(
    *, username: str, role: str, first_name: str, last_name: str, password: str, hours=None, email: str = ""
) -> StaffMember:
    """Create (or find) a user in the role's group with a staff record and, for clinical
    roles, a calendar (default hours Mon–Fri 08:00–17:00)."""
    existing = StaffMember.objects.select_related("user").filter(user__username=username).first()
    if existing:
        return existing
    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        first_name=first_name,
        last_name=last_name,
        email=email or f"{username}@example.org",
        is_staff=role == StaffMember.Role.MANAGER,
    )
    user.groups.add(Group.objects.get(name=role))
    resource = None
    if role in StaffMember.CLINICAL_ROLES:
        resource = Resource.objects.create(name=f"{first_name} {last_name}", kind=Resource.Kind.PERSON, user=user)
        _set_hours(resource, hours or [(d, time(8), time(17)) for d in WEEKDAYS])
    return StaffMember.objects.create(user=user, role=role, resource=resource)


def _set_hours(resource: Resource, blocks) -> None:
    WorkingHours.objects.bulk_create(
        WorkingHours(resource=resource, weekday=weekday, start_time=start, end_time=end)
        for weekday, start, end in blocks
    )
