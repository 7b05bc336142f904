"""The letters pages for schedulers and managers: due, due soon and overdue lists in a fixed
number of queries, sending from the list, the print queue and its "posted" mark."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import ResultLetterFactory

pytestmark = pytest.mark.django_db


def letter_due_in(days, **kwargs):
    return ResultLetterFactory(due_at=timezone.now() + timedelta(days=days), **kwargs)


def test_the_lists_split_due_soon_and_overdue(scheduler_client):
    overdue, soon, later = letter_due_in(-2), letter_due_in(1), letter_due_in(20)

    def shown(state):
        text = scheduler_client.get(reverse("radiology:letters"), {"show": state}).content.decode()
        return {pk for pk in (overdue.pk, soon.pk, later.pk) if f'data-letter="{pk}"' in text}

    assert shown("due") == {overdue.pk, soon.pk, later.pk}
    assert shown("soon") == {soon.pk}
    assert shown("overdue") == {overdue.pk}
    assert 'data-state="overdue"' in scheduler_client.get(reverse("radiology:letters")).content.decode()


def test_the_list_runs_a_fixed_number_of_queries(scheduler_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = scheduler_client.get(reverse("radiology:letters"))
        return len(captured.captured_queries), response.content.decode().count("data-letter=")

    letter_due_in(1)
    one = queries()
    for days in range(-5, 14):
        letter_due_in(days)
    twenty = queries()

    assert (one[1], twenty[1]) == (1, 20)
    assert one[0] == twenty[0] <= 8


def test_sending_by_post_from_the_list_puts_it_in_the_print_queue_and_posted_takes_it_out(scheduler_client, scheduler):
    letter = letter_due_in(3)

    response = scheduler_client.post(reverse("radiology:letter_send", args=[letter.pk]), {"channel": "post"})
    assert response.status_code == 302
    queue = scheduler_client.get(reverse("radiology:letter_print_queue")).content.decode()
    assert f'data-letter="{letter.pk}"' in queue
    assert reverse("radiology:letter_pdf", args=[letter.pk]) in queue

    scheduler_client.post(reverse("radiology:letter_posted", args=[letter.pk]))

    letter.refresh_from_db()
    assert (letter.status, letter.posted_by) == ("sent", scheduler)
    queue = scheduler_client.get(reverse("radiology:letter_print_queue")).content.decode()
    assert f'data-letter="{letter.pk}"' not in queue


def test_a_refused_send_is_said_on_the_page(scheduler_client):
    letter = letter_due_in(3)

    response = scheduler_client.post(
        reverse("radiology:letter_send", args=[letter.pk]), {"channel": "pigeon"}, follow=True
    )

    assert "Choose how the letter goes" in response.content.decode()


def test_staff_read_the_letter_as_a_pdf(scheduler_client):
    letter = letter_due_in(3)

    response = scheduler_client.get(reverse("radiology:letter_pdf", args=[letter.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
