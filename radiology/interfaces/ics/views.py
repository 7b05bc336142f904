"""The feed itself (no login: the token is the key) and the page where addresses are made,
rotated and revoked (login: clinical staff for their own, managers for the rooms)."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseGone, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from radiology.errors import ServiceRefusal
from radiology.interfaces.ics import feed as ics
from radiology.interfaces.ics import selectors
from radiology.models import CalendarFeed, Room, StaffMember
from radiology.presentation.refusals import forbidden
from radiology.services import calendar_feeds


def _matches(if_none_match: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


@require_GET
def feed(request, kind, owner_id, token):
    found = selectors.find_feed(kind=kind, owner_id=owner_id, token=token)
    if found is None:
        raise Http404("No such calendar.")
    if selectors.owner_has_left(found):
        # 410, not 404: calendar applications stop polling an address that is gone.
        return HttpResponseGone("This calendar is no longer available.", content_type="text/plain")
    name = selectors.feed_name(found)
    appointments = selectors.feed_events(found, now=timezone.now())
    tag = ics.etag(name=name, appointments=appointments)
    headers = {
        "ETag": tag,
        # Private: the address is a secret. Calendar apps poll; they revalidate with the ETag.
        "Cache-Control": "private, max-age=300",
        "X-Robots-Tag": "noindex",
    }
    if _matches(request.headers.get("If-None-Match", ""), tag):
        return HttpResponseNotModified(headers=headers)
    body = ics.calendar_bytes(name=name, appointments=appointments, tag=tag)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8", headers=headers)
    response["Content-Disposition"] = f'inline; filename="{kind}-{owner_id}.ics"'
    return response


def _clinical_member(user) -> StaffMember | None:
    return StaffMember.objects.filter(user=user, role__in=StaffMember.CLINICAL_ROLES).first()


def _page(request, *, new_address: str = "", new_for: str = ""):
    member = _clinical_member(request.user)
    may_manage_rooms = request.user.has_perm(calendar_feeds.ROOM_PERMISSION)
    if member is None and not may_manage_rooms:
        raise PermissionDenied
    rooms = list(Room.objects.select_related("calendar_feed").order_by("name")) if may_manage_rooms else []
    mine = CalendarFeed.objects.filter(staff=member).first() if member else None
    return render(
        request,
        "ics/calendars.html",
        {
            "member": member,
            "mine": mine,
            "rooms": rooms,
            "may_manage_rooms": may_manage_rooms,
            "new_address": request.build_absolute_uri(new_address) if new_address else "",
            "new_for": new_for,
        },
    )


@login_required
def calendars(request):
    return _page(request)


def _act(request, *, staff=None, room=None, label: str):
    action = request.POST.get("action")
    try:
        if action == "rotate":
            path = calendar_feeds.issue_calendar_feed(actor=request.user, staff=staff, room=room)
            # Shown in this response only: the address is not stored anywhere we could show again.
            return _page(request, new_address=path, new_for=label)
        if action == "revoke":
            if calendar_feeds.revoke_calendar_feed(actor=request.user, staff=staff, room=room):
                flash.success(request, f"The calendar address of {label} no longer works.")
            return redirect("calendar_feeds:calendars")
    except ServiceRefusal as refusal:
        return forbidden(request, refusal)
    flash.error(request, "Choose to make a new address or to revoke it.")
    return redirect("calendar_feeds:calendars")


@login_required
@require_POST
def my_feed(request):
    member = _clinical_member(request.user)
    if member is None:
        raise PermissionDenied
    return _act(request, staff=member, label="your calendar")


@login_required
@permission_required(calendar_feeds.ROOM_PERMISSION, raise_exception=True)
@require_POST
def room_feed(request, room_id):
    room = get_object_or_404(Room, pk=room_id)
    return _act(request, room=room, label=f"room {room}")
