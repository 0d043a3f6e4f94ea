"""Looking a patient up in the hospital's Modality Worklist, to fill the reconciliation
form (local Patient ID, issuer, name, birth date, sex, accession number).

The GUI and any other caller give a query and the name of a saved worklist server (a PACS
destination saved with the role "worklist", see :mod:`app.services.accounts_service`);
the rules for the query's fields, the sentence summing up the answer and the conversion of
an item to a :class:`~app.services.reconciling.LocalIdentity` live here, so a dialog only
shows them. pynetdicom is imported only when a search is made.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from app.cloud.worklist import MAX_RESULTS, WorklistAnswer, WorklistItem, WorklistQuery
from app.core.errors import UsageError
from app.services.accounts_service import AccountsService, PacsDestination
from app.services.reconciling import FIELDS, REQUIRED, LocalIdentity, normalised, problem

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["COLUMNS", "MAX_RESULTS", "WorklistAnswer", "WorklistItem", "WorklistQuery",
           "display_row", "look_up", "make_query", "no_server_sentence", "summary",
           "to_identity", "unusable", "worklist_servers"]

_WILDCARDS = ("*", "?")


def worklist_servers(accounts: AccountsService | None = None) -> list[PacsDestination]:
    """The saved worklist servers, by name."""
    return (accounts or AccountsService()).pacs("worklist")


def no_server_sentence() -> str:
    """What to do when no worklist server is saved."""
    return ("No worklist server is set up: add one under File > Accounts and PACS (used for "
            "worklist lookups), or with lightbox account add NAME --worklist AET@HOST:PORT.")


def make_query(patient_name: str = "", patient_id: str = "", accession: str = "",
               scheduled_date: str = "", modality: str = "") -> WorklistQuery:
    """A query from fields as typed; UsageError in one sentence for the first bad one.

    A name without ``*`` or ``?`` matches the names that start with it (front-desk staff
    type a family name, DICOM matches whole values); the date may be ``YYYYMMDD``,
    ``YYYY-MM-DD`` or a range ``YYYYMMDD-YYYYMMDD``.
    """
    name = patient_name.strip()
    if name and not any(w in name for w in _WILDCARDS):
        name += "*"
    for label, value, limit in (("The name", name, 64), ("The patient ID", patient_id, 64),
                                ("The accession number", accession, 16),
                                ("The modality", modality, 16)):
        value = value.strip()
        if "\\" in value or not value.isprintable():
            raise UsageError(f"{label} may not contain a backslash or a control character.")
        if len(value) > limit:
            raise UsageError(f"{label} is {len(value)} characters long; a worklist takes at "
                             f"most {limit}.")
    return WorklistQuery(name, patient_id.strip(), accession.strip(),
                         _date_key(scheduled_date.strip()), modality.strip().upper())


def _date_key(text: str) -> str:
    if not text:
        return ""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        text = text.replace("-", "")
    days = text.split("-") if len(text) == 17 else [text]
    for day in days:
        try:
            if len(day) != 8 or not day.isdigit():
                raise ValueError(day)
            datetime.date(int(day[:4]), int(day[4:6]), int(day[6:]))
        except ValueError:
            raise UsageError(f"The date '{text}' is not a date: write it as YYYYMMDD (or "
                             "YYYYMMDD-YYYYMMDD for several days).") from None
    return text


def look_up(server_name: str, query: WorklistQuery, limit: int = MAX_RESULTS,
            accounts: AccountsService | None = None) -> WorklistAnswer:
    """Search the saved worklist server ``server_name``; PacsError or AccountError in one
    sentence when it cannot answer or is not a saved worklist server."""
    from app.cloud.dimse import parse_destination
    from app.cloud.worklist import find
    from app.core.errors import AccountError
    from app.services.setup import configure_dicom_reading

    # pydicom's warnings about the answers' invalid values quote them (names, birth
    # dates): they must not reach a log.
    configure_dicom_reading()
    accounts = accounts or AccountsService()
    if accounts.kind_of(server_name) is None:
        raise AccountError(f"There is no worklist server called {server_name}: add it under "
                           "File > Accounts and PACS, or with lightbox account add "
                           f"{server_name} --worklist AET@HOST:PORT.")
    server = accounts.get_pacs(server_name)
    if server.role != "worklist":
        raise AccountError(f"{server.name} is a PACS that receives images, not a worklist "
                           "server; choose a worklist server.")
    return find(parse_destination(server.address), server.calling_aet, query, limit)


def summary(answer: WorklistAnswer) -> str:
    """One sentence on what a search found."""
    count = len(answer.items)
    if answer.more:
        return (f"More than {count} items match; only the first {count} are shown: refine "
                "the search (a longer name, the patient ID or the date).")
    if count == 0:
        return "No one in the worklist matches this search."
    return "1 item found." if count == 1 else f"{count} items found."


def unusable(item: WorklistItem) -> str:
    """Why ``item`` cannot fill the form ("" when it can)."""
    if not item.patient_id or problem("patient_id", item.patient_id):
        return "This worklist item has no usable Patient ID; choose another or type it in."
    return ""


def to_identity(item: WorklistItem, default_issuer: str = "") -> LocalIdentity:
    """The local identity a worklist item names, for the reconciliation form.

    The issuer is the item's, else ``default_issuer`` ("" leaves it for the form to ask);
    a value the reconciliation rules refuse (a birth date in the future, say) is left
    out (None: the form keeps the disc's value), as is one the item did not give.
    """
    values: Mapping[str, str] = {
        "patient_id": item.patient_id, "issuer": item.issuer or default_issuer,
        "patient_name": item.patient_name, "birth_date": item.birth_date, "sex": item.sex,
        "accession": item.accession}
    kept: dict[str, str | None] = {}
    for field in FIELDS:
        value = values[field]
        if field in REQUIRED:
            kept[field] = normalised(field, value)
        else:
            kept[field] = normalised(field, value) if value and not problem(field, value) \
                else None
    return LocalIdentity(**kept)  # type: ignore[arg-type]


COLUMNS: tuple[str, ...] = ("Name", "Patient ID", "Issuer", "Birth date", "Sex",
                            "Accession", "Scheduled", "Procedure")


def display_row(item: WorklistItem) -> tuple[str, ...]:
    """The item's cells under COLUMNS: the name as FAMILY, GIVEN, dates as YYYY-MM-DD."""
    family, _, given = item.patient_name.partition("^")
    name = f"{family}, {given.replace('^', ' ').strip()}" if given.strip("^ ") else family
    when = " ".join(v for v in (_iso(item.scheduled_date), item.scheduled_time) if v)
    return (name, item.patient_id, item.issuer, _iso(item.birth_date), item.sex,
            item.accession, when, item.description)


def _iso(day: str) -> str:
    return f"{day[:4]}-{day[4:6]}-{day[6:]}" if len(day) == 8 else day
