"""PS3.4 C.2.2.2 matching on pydicom Datasets: pure functions, no database."""

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from radiology.interfaces.dicom.matching import build_reply, match_value, matches


def make_item(**overrides) -> Dataset:
    item = Dataset()
    item.SpecificCharacterSet = "ISO_IR 192"
    item.PatientName = overrides.get("name", "Núñez^José")
    item.PatientID = overrides.get("mrn", "MRN-001")
    item.AccessionNumber = overrides.get("accession", "A0000042")
    item.StudyInstanceUID = overrides.get("study_uid", "1.2.826.0.1.3680043.10.1.1")
    step = Dataset()
    step.Modality = "MG"
    step.ScheduledStationAETitle = overrides.get("station", "MAMMO1")
    step.ScheduledProcedureStepStartDate = overrides.get("date", "20261130")
    step.ScheduledProcedureStepStartTime = overrides.get("time", "093000")
    step.ScheduledProcedureStepID = "SPS42"
    item.ScheduledProcedureStepSequence = Sequence([step])
    return item


def query(**keys) -> Dataset:
    ds = Dataset()
    step_keys = keys.pop("step", None)
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    if step_keys is not None:
        step = Dataset()
        for keyword, value in step_keys.items():
            setattr(step, keyword, value)
        ds.ScheduledProcedureStepSequence = Sequence([step])
    return ds


def test_an_empty_key_matches_everything_and_is_returned_filled():
    item = make_item()
    q = query(PatientName="", AccessionNumber="")
    assert matches(item, q)
    reply = build_reply(item, q)
    assert reply.PatientName == "Núñez^José"
    assert reply.AccessionNumber == "A0000042"


def test_a_single_value_matches_exactly_and_only_itself():
    assert matches(make_item(), query(AccessionNumber="A0000042"))
    assert not matches(make_item(), query(AccessionNumber="A0000043"))
    assert not matches(make_item(), query(AccessionNumber="a0000042"))


def test_star_and_question_mark_are_wildcards():
    assert matches(make_item(), query(PatientID="MRN-*"))
    assert matches(make_item(), query(PatientID="MRN-00?"))
    assert not matches(make_item(), query(PatientID="MRN-0?"))
    assert matches(make_item(), query(PatientID="*"))


def test_regex_characters_in_a_value_are_literal():
    assert not match_value("LO", "MRN-001", "MRN.00?")
    assert match_value("LO", "A(1)", "A(1)*")


def test_person_names_compare_case_insensitively_by_default():
    assert matches(make_item(), query(PatientName="núñez*"))
    assert matches(make_item(), query(PatientName="NÚÑEZ^JOSÉ"))


def test_person_names_compare_exactly_when_the_setting_says_so():
    assert not matches(make_item(), query(PatientName="núñez*"), names_case_insensitive=False)
    assert matches(make_item(), query(PatientName="Núñez*"), names_case_insensitive=False)


def test_trailing_empty_name_components_do_not_count():
    assert match_value("PN", "Doe^Jane^^^", "Doe^Jane")
    assert match_value("PN", "Doe", "Doe^")


def test_accented_names_survive_in_the_reply():
    reply = build_reply(make_item(), query(PatientName="N*"))
    assert reply.PatientName == "Núñez^José"
    assert reply.SpecificCharacterSet == "ISO_IR 192"


def test_date_ranges_are_inclusive_and_open_at_either_end():
    step = lambda date: query(step={"ScheduledProcedureStepStartDate": date})  # noqa: E731
    item = make_item(date="20261130")
    assert matches(item, step("20261130"))
    assert matches(item, step("20261129-20261130"))
    assert matches(item, step("20261130-"))
    assert matches(item, step("-20261130"))
    assert not matches(item, step("20261201-"))
    assert not matches(item, step("-20261129"))
    assert not matches(item, step("20261129"))


def test_time_ranges_read_partial_times_the_way_people_mean_them():
    assert match_value("TM", "093000", "09-")
    assert match_value("TM", "093000", "-09")  # up to 09:59:59
    assert not match_value("TM", "093000", "0931-")
    assert match_value("TM", "093000", "0800-1000")
    assert match_value("TM", "0930", "093000")


def test_a_list_of_uids_matches_any_of_them():
    item = make_item(study_uid="1.2.3.4")
    q = Dataset()
    q.StudyInstanceUID = ["1.2.3.9", "1.2.3.4"]
    assert matches(item, q)
    q.StudyInstanceUID = ["1.2.3.9", "1.2.3.5"]
    assert not matches(item, q)


def test_keys_inside_the_step_sequence_filter_by_station():
    assert matches(make_item(station="MAMMO1"), query(step={"ScheduledStationAETitle": "MAMMO1"}))
    assert not matches(make_item(station="MAMMO2"), query(step={"ScheduledStationAETitle": "MAMMO1"}))


def test_an_empty_sequence_returns_the_whole_sequence():
    q = query(PatientID="")
    q.ScheduledProcedureStepSequence = Sequence()
    reply = build_reply(make_item(), q)
    step = reply.ScheduledProcedureStepSequence[0]
    assert step.Modality == "MG"
    assert step.ScheduledProcedureStepID == "SPS42"
    assert step.ScheduledStationAETitle == "MAMMO1"


def test_a_sequence_item_returns_only_its_keys():
    q = query(step={"Modality": "", "ScheduledProcedureStepStartDate": "20261130"})
    reply = build_reply(make_item(), q)
    step = reply.ScheduledProcedureStepSequence[0]
    assert set(step.dir()) == {"Modality", "ScheduledProcedureStepStartDate"}


def test_the_reply_holds_exactly_the_requested_keys_and_the_character_set():
    q = query(PatientID="", PatientBirthDate="")
    reply = build_reply(make_item(), q)
    assert set(reply.dir()) == {"SpecificCharacterSet", "PatientID", "PatientBirthDate"}
    assert reply.PatientBirthDate in (None, "")  # asked for, not known to this item: returned empty


def test_a_key_the_item_does_not_hold_does_not_filter():
    assert matches(make_item(), query(PatientWeight="70"))


def _reference_match(pattern: str, text: str) -> bool:
    """What PS3.4's wildcards mean, by brute force on small strings (a regex, safe at this size)."""
    import re

    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


def test_wildcards_match_as_the_standard_says_on_every_small_case():
    import itertools

    from radiology.interfaces.dicom.matching import wildcard_match

    alphabet = "ab*?"
    texts = ["", *("".join(t) for n in range(1, 5) for t in itertools.product("ab", repeat=n))]
    for n in range(0, 5):
        for pattern in ("".join(p) for p in itertools.product(alphabet, repeat=n)):
            for text in texts:
                assert wildcard_match(pattern, text) == _reference_match(pattern, text), (pattern, text)


def test_a_pattern_of_many_stars_is_answered_at_once_whatever_the_name():
    # Issue #23: each `*` became an unbounded `.*`; 28 stars took 45 s, 40 would take hours,
    # and the worklist service answered nobody meanwhile. Matching is now linear in the name.
    import threading

    hostile = "A*" * 40 + "B"
    name = "A" * 64
    answers = []
    worker = threading.Thread(
        target=lambda: answers.append(match_value("PN", name, hostile, names_case_insensitive=False)), daemon=True
    )
    worker.start()
    worker.join(timeout=5)  # hours before; well under a millisecond now
    assert answers == [False]
    assert match_value("PN", "A" * 63 + "B", hostile, names_case_insensitive=False)
