"""Modality Worklist lookups (C-FIND) against a real pynetdicom worklist SCP in its own
process: queries by name wildcard, ID, accession and date, untrusted answers, the result
cap, nothing listening, a refused association, and the identity an item gives."""

import datetime
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.errors import AccountError, PacsError, UsageError
from app.services.accounts_service import AccountsService
from app.services.reconciling import LocalIdentity
from app.services.worklist_lookup import (
    WorklistItem,
    look_up,
    make_query,
    summary,
    to_identity,
    unusable,
    worklist_servers,
)
from tests.support.mwl_scp import FUTURE_DAY, WorklistScp
from tests.support.orthanc import free_port
from tests.support.picky_scp import PickyScp

TODAY = datetime.date.today().strftime("%Y%m%d")


@pytest.fixture(scope="module")
def scp() -> Iterator[WorklistScp]:
    server = WorklistScp("WORKLIST")
    yield server
    server.stop()


def _service(tmp_path: Path, address: str, name: str = "mwl") -> AccountsService:
    accounts = AccountsService(tmp_path)
    accounts.add_pacs(accounts.pacs_from_address(name, address, "FRONTDESK", "worklist"))
    return accounts


def test_name_wildcard_finds_utf8_names_with_every_field(tmp_path: Path,
                                                         scp: WorklistScp) -> None:
    accounts = _service(tmp_path, scp.address())
    answer = look_up("mwl", make_query(patient_name="MÜLL"), accounts=accounts)
    assert answer.items == (WorklistItem(
        patient_id="MRN-1001", issuer="HOSP-A", patient_name="MÜLLER^JÜRGEN",
        birth_date="19610412", sex="M", accession="ACC-77001", scheduled_date=TODAY,
        scheduled_time="08:30", modality="CT", description="CT Thorax"),)
    assert not answer.more and summary(answer) == "1 item found."
    starred = look_up("mwl", make_query(patient_name="*SIEWICZ^ZOF*"), accounts=accounts)
    assert [i.patient_name for i in starred.items] == ["ŁUKASIEWICZ^ZOFIA"]


def test_by_id_accession_date_and_modality(tmp_path: Path, scp: WorklistScp) -> None:
    accounts = _service(tmp_path, scp.address())

    def ids(**fields: str) -> list[str]:
        return [i.patient_id for i in look_up("mwl", make_query(**fields),
                                              accounts=accounts).items]

    assert ids(patient_id="MRN-1002") == ["MRN-1002"]
    assert ids(accession="ACC-77003") == ["MRN-1003"]
    assert ids(scheduled_date=TODAY) == ["MRN-1001", "MRN-1002"]
    assert ids(scheduled_date=datetime.date.today().isoformat(), modality="mr") == ["MRN-1002"]
    assert ids(scheduled_date=f"{FUTURE_DAY}-{FUTURE_DAY}") == \
        ["MRN-1003", "MRN-1004", "MRN-1005"]
    none = look_up("mwl", make_query(patient_id="NOBODY"), accounts=accounts)
    assert none.items == () and summary(none) == "No one in the worklist matches this search."


def test_bad_missing_and_hostile_values_are_left_empty(tmp_path: Path,
                                                       scp: WorklistScp) -> None:
    """A birth date that is not a date, a sex that is not M/F/O, a time past 23:59, keys
    left out, values longer than their VR allows: empty fields, no error."""
    accounts = _service(tmp_path, scp.address())
    bad, missing, hostile = look_up("mwl", make_query(scheduled_date=FUTURE_DAY),
                                    accounts=accounts).items
    assert (bad.patient_name, bad.birth_date, bad.sex, bad.scheduled_time, bad.issuer) == \
        ("DOE^JOHN", "", "", "", "")
    assert missing == WorklistItem(patient_id="MRN-1004", scheduled_date=FUTURE_DAY)
    assert (hostile.patient_id, hostile.patient_name, hostile.issuer, hostile.birth_date,
            hostile.accession, hostile.modality) == ("MRN-1005", "", "", "", "", "US")
    odd, = look_up("mwl", make_query(accession="ACC-ODD"), accounts=accounts).items
    assert odd == WorklistItem(patient_id="MRN-1006", patient_name="ODD^VR",
                               accession="ACC-ODD")
    # The identity of an item without an issuer takes the hospital's usual one.
    assert to_identity(bad, "HOSP-A") == LocalIdentity("MRN-1003", "HOSP-A", "DOE^JOHN",
                                                       None, None, "ACC-77003")
    assert to_identity(missing) == LocalIdentity("MRN-1004", "")


def test_identity_from_an_item() -> None:
    item = WorklistItem(patient_id="MRN-1", issuer="HOSP", patient_name="DOE^JANE",
                        birth_date="29991231", sex="f", accession="A1")
    # A birth date in the future is refused by the reconciliation rules: left out.
    assert to_identity(item) == LocalIdentity("MRN-1", "HOSP", "DOE^JANE", None, "F", "A1")
    assert unusable(item) == ""
    assert unusable(WorklistItem(patient_name="X")).startswith("This worklist item has no ")


def test_more_than_the_limit_says_so(tmp_path: Path) -> None:
    server = WorklistScp("WORKLIST", bulk=250)
    try:
        accounts = _service(tmp_path, server.address())
        started = time.monotonic()
        answer = look_up("mwl", make_query(patient_name="BULK^*"), accounts=accounts)
        elapsed = time.monotonic() - started
        small = look_up("mwl", make_query(patient_name="BULK"), limit=5, accounts=accounts)
    finally:
        server.stop()
    assert len(answer.items) == 200 and answer.more
    assert summary(answer).startswith("More than 200 items match; only the first 200 ")
    assert [i.patient_id for i in small.items] == [f"BULK-{n:03d}" for n in range(5)]
    assert small.more
    assert elapsed < 10


def test_nothing_listening_is_one_sentence_soon(tmp_path: Path) -> None:
    port = free_port()
    accounts = _service(tmp_path, f"MWL@127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(PacsError) as caught:
        look_up("mwl", make_query(patient_id="X"), accounts=accounts)
    assert str(caught.value) == (f"Nothing answers at 127.0.0.1:{port}: check the worklist "
                                 "server's address and that it is running.")
    assert time.monotonic() - started < 15


def test_refused_association_says_why(tmp_path: Path, scp: WorklistScp) -> None:
    accounts = _service(tmp_path, scp.address("WRONG"))
    with pytest.raises(PacsError) as caught:
        look_up("mwl", make_query(patient_id="MRN-1001"), accounts=accounts)
    sentence = str(caught.value)
    assert sentence.startswith(f"The worklist server at 127.0.0.1:{scp.port} refused the "
                               "connection: ")
    assert "(we called it WRONG)" in sentence and "\n" not in sentence


def test_a_pacs_without_worklist_says_so(tmp_path: Path) -> None:
    """A storage-only SCP accepts the association but not the worklist context."""
    server = PickyScp("STORE")
    try:
        accounts = _service(tmp_path, server.address())
        with pytest.raises(PacsError) as caught:
            look_up("mwl", make_query(patient_id="X"), accounts=accounts)
    finally:
        server.stop()
    assert str(caught.value) == (f"The server at 127.0.0.1:{server.port} accepted the "
                                 "connection but does not answer worklist queries (Modality "
                                 "Worklist C-FIND).")


def test_servers_and_queries_as_typed(tmp_path: Path) -> None:
    accounts = _service(tmp_path, "MWL@10.0.0.9:104", "ris")
    accounts.add_pacs(accounts.pacs_from_address("pacs", "PACS@10.0.0.5:104"))
    assert [s.name for s in worklist_servers(accounts)] == ["ris"]
    assert [p.name for p in accounts.pacs()] == ["pacs"]
    with pytest.raises(AccountError, match="not a worklist server"):
        look_up("pacs", make_query(), accounts=accounts)
    with pytest.raises(AccountError, match=r"^There is no worklist server called gone: add it"):
        look_up("gone", make_query(), accounts=accounts)
    with pytest.raises(AccountError, match="not a PACS that receives images"):
        accounts.send_target("ris", None)
    assert make_query(patient_name=" smith ").patient_name == "smith*"
    assert make_query(patient_name="SM?TH^J*").patient_name == "SM?TH^J*"
    assert make_query(scheduled_date="2026-12-02").scheduled_date == "20261202"
    for fields, words in (({"scheduled_date": "2026-13-40"}, "is not a date"),
                          ({"accession": "A" * 17}, "at most 16"),
                          ({"patient_id": "A\\B"}, "backslash")):
        with pytest.raises(UsageError, match=words):
            make_query(**fields)
