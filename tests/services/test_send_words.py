"""The words and rules of "Send to PACS" (Qt-free): the address checked field by field,
what will leave, progress and outcome sentences."""

import pytest

from app.core.errors import UsageError
from app.services import sending
from app.services.send_plan import SendPlan
from app.services.send_words import (
    DEFAULT_CALLING_AET,
    broken_off_status,
    check_destination,
    decoded_note,
    describe_send,
    failure_lines,
    finished_status,
    megabytes,
    patients_warning,
    send_action_state,
    send_summary,
    sent_text,
    split_destination,
    stopped_status,
    study_outcome,
)
from app.services.sending import SendReport, StudySend
from app.services.uploading import UploadProgress

DEST = "PACS@10.0.0.5:104"


def _plan(pending: int, already: int = 0, size: int = 2_400_000) -> SendPlan:
    return SendPlan(DEST, {"s": pending}, {"s": size if pending else 0}, {"s": already})


def test_the_default_calling_title_is_the_services_one() -> None:
    assert DEFAULT_CALLING_AET == sending.DEFAULT_CALLING_AET


def test_a_good_address_is_one_string_and_the_calling_title() -> None:
    check = check_destination(" PACS ", "10.0.0.5", "104 ", "LIGHTBOX")
    assert check.ok and check.destination == DEST and check.calling_aet == "LIGHTBOX"
    assert check_destination("PACS", "::1", "104", "LB").destination == "PACS@::1:104"


@pytest.mark.parametrize(("fields", "key", "words"), [
    (("PACS", "10.0.0.5", "abc", "LB"), "port", "number from 1 to 65535"),
    (("PACS", "10.0.0.5", "70000", "LB"), "port", "number from 1 to 65535"),
    (("PACS", "10.0.0.5", "0", "LB"), "port", "number from 1 to 65535"),
    (("A" * 17, "10.0.0.5", "104", "LB"), "ae_title", "at most 16 characters"),
    (("PA\\CS", "10.0.0.5", "104", "LB"), "ae_title", "backslash"),
    (("PACS", "10.0.0.5", "104", "LÜ"), "calling", "plain letters"),
    (("PACS", "pacs host", "104", "LB"), "host", "host name or IP address"),
    (("PACS", "PACS@10.0.0.5", "104", "LB"), "host", "host name or IP address"),
])
def test_a_wrong_field_gets_one_sentence_under_it(fields: tuple[str, str, str, str],
                                                  key: str, words: str) -> None:
    check = check_destination(*fields)
    assert not check.ok and check.destination == ""
    assert list(check.problems) == [key]
    sentence = check.problems[key]
    assert words in sentence and sentence.endswith(".") and sentence.count(". ") == 0


def test_empty_fields_are_named_in_the_summary_not_flagged() -> None:
    check = check_destination("", "10.0.0.5", "", "LIGHTBOX")
    assert not check.ok and check.problems == {}
    assert check.missing == ("AE title", "Port")
    assert send_summary(check, None, 1) == (
        "Fill in \u201cAE title\u201d and \u201cPort\u201d to send.")
    wrong = check_destination("PACS", "10.0.0.5", "x", "LIGHTBOX")
    assert send_summary(wrong, None, 1) == "Correct the PACS address above to send."


def test_the_summary_says_what_leaves_where_and_as_whom() -> None:
    check = check_destination("PACS", "10.0.0.5", "104", "LIGHTBOX")
    assert send_summary(check, None, 1).startswith("Counting")
    assert send_summary(check, _plan(12), 1) == (
        "12 images of 1 study (2.4 MB) will be sent to PACS@10.0.0.5:104 as LIGHTBOX.")
    assert send_summary(check, _plan(1, already=8), 2) == (
        "1 image of 2 studies (2.4 MB) will be sent to PACS@10.0.0.5:104 as LIGHTBOX. "
        "8 images were confirmed by this PACS before and will not be sent again.")
    assert send_summary(check, _plan(0, already=12), 1) == (
        "PACS@10.0.0.5:104 has already confirmed all 12 images of this study; nothing "
        "needs to be sent.")
    # A count for another address is not this address's count.
    other = SendPlan("X@h:1", {"s": 3}, {"s": 1}, {"s": 0})
    assert send_summary(check, other, 1).startswith("Counting")


def test_send_is_enabled_with_a_selection_and_says_why_not() -> None:
    assert send_action_state(0) == (False, "Select the studies to send in the library first.")
    enabled, tip = send_action_state(2)
    assert enabled and "PACS" in tip


def test_progress_and_outcome_lines() -> None:
    progress = UploadProgress("s", 40, 0, 151, 5_200_000, 19_800_000, 1.0)
    assert describe_send(progress).startswith(
        "40 of 151 images confirmed, 5.2 of 19.8 MB, 5.2 MB/s, 0:03 left")
    assert describe_send(UploadProgress("s", 1, 1, 2, 10, 10, 1.0)).endswith(
        ", 1 not accepted")
    assert study_outcome(151, 151) == "All 151 images confirmed"
    assert study_outcome(40, 151) == "40 of 151 images confirmed"
    assert describe_send(UploadProgress("s", 2, 0, 11, 16_000, 90_000, 1.0)).startswith(
        "2 of 11 images confirmed, 16 of 90 kB, 0.0 MB/s")
    assert megabytes(0) == "0 kB" and megabytes(2_400_000) == "2.4 MB"
    assert megabytes(250_000_000) == "250 MB"


def _report(*studies: StudySend) -> SendReport:
    return SendReport(DEST, studies)


def test_the_outcome_sentences() -> None:
    done = _report(StudySend("a", 12, 12, 12, ()), StudySend("b", 0, 3, 3, ()))
    assert finished_status(done) == "Done: PACS@10.0.0.5:104 confirmed all 15 images."
    assert decoded_note(done) == ""
    failed = _report(StudySend("a", 12, 10, 12, (("1.2.3", "The PACS refused it."),
                                                  ("1.2.4", "Out of space."))))
    assert finished_status(failed).startswith(
        "PACS@10.0.0.5:104 did not accept 2 images; the reasons are below.")
    assert failure_lines(failed.studies, {"a": "DOE^JANE (ID 7), CT"}) == [
        "DOE^JANE (ID 7), CT, image 1.2.3: The PACS refused it.",
        "DOE^JANE (ID 7), CT, image 1.2.4: Out of space."]
    decoded = _report(StudySend("a", 12, 12, 12, (), None, 12))
    assert decoded_note(decoded).startswith(
        "This PACS accepts only uncompressed images, so 12 compressed images were decoded")
    one = _report(StudySend("a", 1, 1, 1, (), None, 1))
    assert "1 compressed image was decoded" in decoded_note(one)


def test_after_cancel_nothing_confirmed_is_lost() -> None:
    assert stopped_status() == ("Stopped. What the PACS confirmed is kept. Try again sends "
                                "only the images the PACS has not confirmed.")


def test_a_broken_off_send_is_the_errors_sentence() -> None:
    message = "Nothing answers at 10.0.0.5:104: check the address and that the PACS is running."
    assert broken_off_status(message) == message


def test_a_saved_address_fills_the_fields() -> None:
    assert split_destination(DEST) == ("PACS", "10.0.0.5", "104")
    with pytest.raises(UsageError):
        split_destination("nowhere")


def test_the_library_says_where_a_study_was_sent() -> None:
    assert sent_text({}) == ""
    assert sent_text({DEST: "complete", "B@h:1": "partial"}) == (
        "partly sent to B@h:1, sent to PACS@10.0.0.5:104")


def test_several_patients_are_said() -> None:
    assert patients_warning(1) == ""
    assert patients_warning(2).startswith("These studies belong to 2 different patients")
