"""Modality Worklist C-FIND against dcmtk's wlmscpfs: the reconciliation form takes the
local Patient ID, issuer and accession number from the entry chosen."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.core.errors import PacsError, UsageError
from app.services.reconciling import (
    DiscIdentity,
    LocalIdentity,
    ReconcileForm,
    worklist_matches,
)
from tests.support.worklist import WorklistScp, worklist_item, worklist_problem

pytestmark = pytest.mark.skipif(worklist_problem() is not None,
                                reason=str(worklist_problem()))
DISC = DiscIdentity({"patient_id": "OUT-778", "issuer": "", "patient_name": "MULLER^ANNA",
                     "birth_date": "19800214", "sex": "F", "accession": "A1"})


@pytest.fixture
def worklist(tmp_path: Path) -> Iterator[WorklistScp]:
    server = WorklistScp(tmp_path / "worklist", [
        worklist_item("MRN-0042", "HOSP-A", "MULLER^ANNA^M", "19800214", "F", "L-77"),
        worklist_item("MRN-0043", "HOSP-A", "MULLER^ANNA", "19910101", "F", "L-78"),
        worklist_item("MRN-0044", "HOSP-A", "SMITH^JOHN", "19800214", "M", "L-79"),
    ])
    yield server
    server.stop()


def test_the_disc_patient_is_found_by_family_name_and_birth_date(
        worklist: WorklistScp) -> None:
    (entry,) = worklist_matches(worklist.address, DISC)
    assert (entry.patient_id, entry.issuer, entry.patient_name, entry.birth_date,
            entry.sex, entry.accession, entry.modality, entry.description) == \
        ("MRN-0042", "HOSP-A", "MULLER^ANNA^M", "19800214", "F", "L-77", "CT", "CT CHEST")
    form = ReconcileForm(DISC, date(2026, 12, 2))
    form.take(entry)
    assert [r.name for r in form.rows if r.changed] == ["patient_id", "issuer",
                                                        "patient_name", "accession"]
    assert form.identity() == LocalIdentity("MRN-0042", "HOSP-A", "MULLER^ANNA^M", None,
                                            None, "L-77")


def test_without_a_birth_date_every_entry_of_the_family_name(worklist: WorklistScp) -> None:
    disc = DiscIdentity({**DISC.values, "birth_date": ""})
    assert sorted(e.patient_id for e in worklist_matches(worklist.address, disc)) == \
        ["MRN-0042", "MRN-0043"]


def test_no_name_no_listener_and_bad_address_are_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="gives no patient name"):
        worklist_matches("WL@127.0.0.1:104", DiscIdentity({"patient_name": ""}))
    with pytest.raises(UsageError, match="is not a PACS address"):
        worklist_matches("nowhere", DISC)
    with pytest.raises(PacsError, match=r"^Nothing answers at 127\.0\.0\.1:9: check the"):
        worklist_matches("WL@127.0.0.1:9", DISC)
