"""The words and rules around the send dialog's patient section (Qt-free): plain sentences
for empty required fields, under whom the images are filed, and when the PACS holds the
study under another patient (the same rule sending.check_identity refuses by)."""

import pytest

from app.core.errors import UsageError
from app.library.library import Library, SentIdentity
from app.services.privacy import HIDDEN_TEXT, Privacy
from app.services.reconciling import DiscIdentity, LocalIdentity, ReconcileForm
from app.services.send_patient import (
    as_on_disc_choice,
    conflict_summary,
    field_problem,
    filed_under,
    marked,
    refusal,
    resend_button,
    resend_explanation,
    sent_under_another,
    sent_under_lines,
)
from app.services.send_plan import SendPlan
from app.services.send_words import check_destination, send_summary
from app.services.sending import check_identity
from tests.support.cloud_fixtures import cloud_home, cloud_library, discs, small_study

__all__ = ["cloud_home", "cloud_library", "discs", "small_study"]

OURS = LocalIdentity("MRN-0042", "HOSP")


def _sent(patient_id: str | None = None, issuer: str | None = None,
          name: str | None = None) -> SentIdentity:
    return SentIdentity("1.2.3", "PACS@h:104", patient_id, issuer, name, None, None, None,
                        "2026-11-30T10:00:00+00:00")


def test_empty_required_fields_ask_in_plain_words_and_others_keep_the_forms_sentence() -> None:
    form = ReconcileForm(DiscIdentity({"patient_id": "OUT-1", "birth_date": "19700101"}))
    rows = {r.name: r for r in form.rows}
    assert field_problem(rows["patient_id"]) == "Type the patient's ID from our records."
    assert field_problem(rows["issuer"]) == (
        "Type who issued that ID, for example our hospital's code.")
    assert field_problem(rows["patient_name"]) == ""
    bad = form.set("birth_date", "1970-02-30")
    assert field_problem(bad) == bad.problem != ""
    # With privacy on, the typed value is not repeated in the sentence.
    hidden = Privacy(hidden=True).show
    assert field_problem(bad, hidden) == (
        f"Birth date {HIDDEN_TEXT} is not a date: write it as YYYYMMDD, for example 19700131.")
    future = form.set("birth_date", "29990101")
    assert "2999" in field_problem(future) and "2999" not in field_problem(future, hidden)
    long_id = form.set("patient_id", "X" * 70)
    assert field_problem(long_id, hidden) == long_id.problem  # No value in it to hide.


def test_marked_is_what_changes_the_copy_but_not_an_empty_required_field() -> None:
    form = ReconcileForm(DiscIdentity({"patient_id": "OUT-1", "patient_name": "DOE^J",
                                       "birth_date": "19700101"}))
    assert not marked(form.field("patient_id"))  # Empty: asked for, not "differs".
    assert marked(form.set("patient_id", "MRN-1"))
    assert not marked(form.field("patient_name"))
    assert marked(form.set("patient_name", ""))  # Emptying a name changes the copy.
    assert not marked(form.set("birth_date", "1970-01-01"))  # The same date.
    assert as_on_disc_choice("OUT-1") == (
        "Send as on the disc, under the outside clinic's Patient ID OUT-1")
    assert as_on_disc_choice("") == as_on_disc_choice(None) == "Send as on the disc"
    assert "OUT-1" not in as_on_disc_choice("OUT-1", Privacy(hidden=True).show)


def test_filed_under_names_our_patient_or_the_discs_and_hides_with_privacy() -> None:
    assert filed_under(OURS, "OUT-1") == "filed under MRN-0042 (ID issued by HOSP)"
    assert filed_under(None, "OUT-1") == "filed as on the disc, under its Patient ID OUT-1"
    assert filed_under(None, "") == "filed as on the disc (the disc gives no Patient ID)"
    assert filed_under(None, None) == "filed as on the disc"
    hidden = Privacy(hidden=True)
    assert filed_under(OURS, "OUT-1", hidden.show) == (
        f"filed under {HIDDEN_TEXT} (ID issued by {HIDDEN_TEXT})")
    assert "OUT-1" not in filed_under(None, "OUT-1", hidden.show)


def test_the_summary_says_under_whom_the_images_are_filed() -> None:
    check = check_destination("PACS", "10.0.0.5", "104", "LIGHTBOX")
    plan = SendPlan(check.destination, {"1": 12}, {"1": 2_400_000}, {"1": 0})
    assert send_summary(check, plan, 1, filed_under(OURS, "OUT-1")) == (
        "12 images of 1 study (2.4 MB) will be sent to PACS@10.0.0.5:104 as LIGHTBOX, "
        "filed under MRN-0042 (ID issued by HOSP).")
    assert send_summary(check, plan, 1).endswith("as LIGHTBOX.")


@pytest.mark.parametrize(("history", "confirmed", "identity", "refused"), [
    ([], 0, OURS, False),  # Nothing confirmed: nothing to contradict.
    ([], 11, None, False),  # Sent before any identity was recorded: as on the disc.
    ([], 11, OURS, True),
    ([_sent()], 11, OURS, True),
    ([_sent("MRN-0042", "HOSP")], 11, OURS, False),
    ([_sent("MRN-0042", "HOSP")], 11, None, True),
    ([_sent("MRN-0042", "HOSP")], 11, LocalIdentity("MRN-0042", "HOSP", "DOE^J"), True),
    ([_sent("MRN-0042", "HOSP"), _sent()], 11, OURS, False),  # The newest counts.
])
def test_sent_under_another_agrees_with_the_send_that_refuses(
    history: list[SentIdentity], confirmed: int, identity: LocalIdentity | None,
    refused: bool,
) -> None:
    assert sent_under_another(history, confirmed, identity) is refused


@pytest.mark.parametrize("sent_as", [None, ("MRN-0042", "HOSP"), ("MRN-7", "HOSP")])
def test_the_rule_is_the_one_sending_refuses_by(
    cloud_library: Library, small_study: str, sent_as: tuple[str, str] | None,
) -> None:
    """Against a real library: whatever check_identity refuses, sent_under_another
    foresees, and nothing else."""
    destination = "PACS@h:104"
    values = (None,) * 6 if sent_as is None else (*sent_as, None, None, None, None)
    cloud_library.record_send_identity(small_study, destination, values)
    first = cloud_library.study_files(small_study)[0].sop_instance_uid
    cloud_library.record_sends(destination, [first], {})
    for identity in (None, OURS, LocalIdentity("MRN-7", "HOSP"),
                     LocalIdentity("MRN-0042", "HOSP", accession="A1")):
        foreseen = sent_under_another(cloud_library.send_identities(small_study, destination),
                                      cloud_library.sent_count(small_study, destination),
                                      identity)
        try:
            check_identity(cloud_library, small_study, destination, identity)
            refused = False
        except UsageError:
            refused = True
        assert foreseen is refused, identity


def test_the_refusal_and_the_explicit_resend_are_plain() -> None:
    text = refusal("PACS@h:104", [_sent()])
    assert text.startswith("PACS@h:104 already has this study, sent as on the disc on "
                           "2026-11-30.")
    assert text.endswith("Nothing was sent.") and "--resend" not in text
    ours = refusal("PACS@h:104", [_sent("MRN-1", "HOSP")], Privacy(hidden=True).show)
    assert "MRN-1" not in ours and f"under Patient ID {HIDDEN_TEXT}" in ours
    assert resend_button(OURS) == "Send all images again under the new patient"
    assert resend_button(None) == "Send all images again as on the disc"
    assert "under Patient ID MRN-0042 (ID issued by HOSP)." in resend_explanation(OURS)
    assert "MRN-0042" not in resend_explanation(OURS, Privacy(hidden=True).show)
    assert conflict_summary("PACS@h:104", [_sent()], filed_under(OURS, "OUT-1")) == (
        "PACS@h:104 already has this study, sent as on the disc on 2026-11-30. To have it "
        "filed under MRN-0042 (ID issued by HOSP), every image must be sent again: Send "
        "explains how.")
    assert "delete or correct the old copy" in resend_explanation(None)
    assert resend_explanation(None, studies=2).startswith(
        "This sends every image of these studies again, under the patient as on the disc.")
    named = refusal("PACS@h:104", [_sent("MRN-1", "HOSP")], study="the study of DOE^J")
    assert named.startswith("PACS@h:104 already has the study of DOE^J, sent under Patient "
                            "ID MRN-1 (ID issued by HOSP) on 2026-11-30.")
    assert "To have it filed as on the disc, every image" in conflict_summary(
        "PACS@h:104", [_sent("MRN-1", "HOSP")], "", study="the study of DOE^J")


def test_an_unread_form_gives_no_identity() -> None:
    form = ReconcileForm(DiscIdentity({"patient_id": "OUT-1"}))
    with pytest.raises(UsageError):
        form.identity()


def test_the_library_says_under_whom_each_pacs_got_the_study() -> None:
    other = SentIdentity("1.2.3", "B@h:104", None, None, None, None, None, None,
                         "2026-11-29T10:00:00+00:00")
    history = [_sent("MRN-0042", "HOSP"), other, _sent()]  # Newest first.
    assert sent_under_lines(history) == [
        "Sent to B@h:104 as on the disc",
        "Sent to PACS@h:104 under Patient ID MRN-0042 (ID issued by HOSP)"]
    assert "MRN-0042" not in "".join(sent_under_lines(history, Privacy(hidden=True).show))
    assert sent_under_lines([]) == []
