"""Finding a patient the way staff type: any case, with or without accents ("hernandez"
finds "Hernández"), by name, MRN, date of birth or phone number in any usual format. A record merged into another
(ADT^A40) is never found: only the survivor is.

Accents are folded by the database: PostgreSQL's `unaccent` extension (created by migration
0014_day_versions_todo_notes_search); on SQLite a Python function of the same name is
registered on each new connection (`register_sqlite_unaccent`, connected in apps.ready).
"""

import contextlib
import re
import unicodedata
from datetime import date, datetime

from django.db.models import CharField, Func, Q, QuerySet
from django.db.models.functions import Lower

from radiology.models import Patient

MIN_PHONE_DIGITS = 4
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y")
_PHONE_CHARACTERS = re.compile(r"^[\d\s()+.\-]+$")


def fold(text: str) -> str:
    """Lower case without accents: what both sides of a name comparison are reduced to."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class Unaccent(Func):
    function = "unaccent"
    output_field = CharField()


def register_sqlite_unaccent(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("unaccent", 1, fold, deterministic=True)


def _dates(word: str) -> set[date]:
    """Every reading of a typed date (03/04/1970 may be 3 April or 4 March)."""
    found = set()
    for fmt in _DATE_FORMATS:
        with contextlib.suppress(ValueError):
            found.add(datetime.strptime(word, fmt).date())  # noqa: DTZ007 - a calendar date, no time
    return found


def _folded(field: str):
    return Unaccent(Lower(field))


def search_patients(query: str, *, limit: int = 25) -> QuerySet[Patient]:
    """Patients matching every word of the query. A query of digits and phone punctuation
    is a phone number (or MRN); a word that reads as a date is a date of birth; other words
    start a given or family name, or are an MRN. A merged-away record is never found: her
    data is on the record it was merged into (radiology.services.patient_merge)."""
    query = query.strip()
    patients = Patient.objects.filter(merged_into__isnull=True).annotate(
        given_folded=_folded("given_name"), family_folded=_folded("family_name")
    )
    if not query:
        return patients.none()
    if _PHONE_CHARACTERS.match(query) and not _dates(query):
        digits = re.sub(r"\D", "", query)
        if len(digits) >= MIN_PHONE_DIGITS:
            return patients.filter(Q(phone__contains=digits) | Q(mrn__icontains=digits)).order_by(
                "family_name", "given_name", "pk"
            )[:limit]
    for word in query.replace(",", " ").split():
        birth_dates = _dates(word)
        if birth_dates:
            patients = patients.filter(birth_date__in=birth_dates)
            continue
        folded = fold(word)
        patients = patients.filter(
            Q(given_folded__startswith=folded) | Q(family_folded__startswith=folded) | Q(mrn__iexact=word)
        )
    return patients.order_by("family_name", "given_name", "pk")[:limit]
