"""Table E.1-1 as read from dicom-anonymizer, the keyed pseudonyms, and date shifting."""

import re
import uuid

import pytest
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.tag import Tag
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from app.deidentify.dates import shift_date, shift_datetime
from app.deidentify.keys import (
    OFFSET_MAX_DAYS,
    OFFSET_MIN_DAYS,
    PatientIdentity,
    Pseudonymizer,
)
from app.deidentify.table import basic_profile, parse_category
from tests.deidentify.helpers import OTHER_SECRET, SECRET


def _codes(keyword: str) -> frozenset[str] | None:
    return basic_profile().codes(Tag(tag_for_keyword(keyword)))


def test_the_table_is_the_2026c_edition_from_dicom_anonymizer() -> None:
    table = basic_profile()
    assert len(table) > 600
    assert _codes("PatientName") == {"Z"}
    assert _codes("PatientID") == {"Z", "D"}
    assert _codes("SOPInstanceUID") == {"U"}
    assert _codes("StudyDescription") == {"X"}
    assert _codes("InstitutionName") == {"X", "Z", "D"}
    assert _codes("SourceImageSequence") == {"X", "Z", "U*"}
    assert _codes("Modality") is None and _codes("PixelData") is None
    # Repeating groups: every curve element, overlay data and comments of any 60xx group.
    assert table.codes(Tag(0x50020010)) == {"X"}
    assert table.codes(Tag(0x601E3000)) == {"X"} == table.codes(Tag(0x60004000))
    assert table.codes(Tag(0x60000010)) is None  # Overlay Rows: not listed


def test_action_list_names_are_parsed_or_refused() -> None:
    assert parse_category("X_Z_U_STAR_TAGS") == {"X", "Z", "U*"}
    assert parse_category("Z_D_TAGS") == {"Z", "D"}
    for bad in ("ALL_TAGS", "X_Q_TAGS", "X_Z", "_TAGS"):
        with pytest.raises(ValueError):
            parse_category(bad)


def test_new_uids_are_stable_keyed_uuids() -> None:
    keys = Pseudonymizer(SECRET)
    new = keys.uid("1.2.3.4.5")
    assert new == Pseudonymizer(SECRET).uid("1.2.3.4.5") == keys.uid(" 1.2.3.4.5\0")
    assert new != keys.uid("1.2.3.4.6") and new != Pseudonymizer(OTHER_SECRET).uid("1.2.3.4.5")
    assert new.startswith("2.25.") and len(new) <= 64
    as_uuid = uuid.UUID(int=int(new.removeprefix("2.25.")))
    assert as_uuid.version == 8 and as_uuid.variant == uuid.RFC_4122
    assert keys.matches_uid(new, "1.2.3.4.5") and not keys.matches_uid(new, "1.2.3")
    for well_known in (CTImageStorage, ExplicitVRLittleEndian, "1.2.840.10008.2.16.4"):
        assert keys.uid(well_known) == well_known
    assert "SECRET" not in repr(keys) and repr(SECRET) not in repr(keys)
    with pytest.raises(ValueError):
        Pseudonymizer(b"short")


def _patient(name: str, patient_id: str = "P1", issuer: str = "") -> PatientIdentity:
    ds = Dataset()
    ds.PatientName, ds.PatientID, ds.IssuerOfPatientID = name, patient_id, issuer
    return PatientIdentity.of(ds)


def test_the_date_offset_and_pseudonym_follow_the_patient() -> None:
    keys = Pseudonymizer(SECRET)
    jane = _patient("Doe^Jane")
    offsets = {keys.date_offset_days(_patient("Doe^Jane", f"P{n}")) for n in range(200)}
    assert all(OFFSET_MIN_DAYS <= o <= OFFSET_MAX_DAYS for o in offsets)
    assert len(offsets) > 150  # spread over the range
    assert keys.date_offset_days(jane) == keys.date_offset_days(_patient(" DOE^jane^ "))
    assert keys.pseudonym(jane) == keys.pseudonym(_patient("doe^JANE"))
    assert keys.pseudonym(jane) != keys.pseudonym(_patient("Doe^Jane", "P2"))
    assert keys.pseudonym(jane) != keys.pseudonym(_patient("Doe^Jane", issuer="OTHER"))
    assert keys.pseudonym(jane) != Pseudonymizer(OTHER_SECRET).pseudonym(jane)
    code = keys.pseudonym(jane)
    assert re.fullmatch("[A-Z2-7]{8}", code)


@pytest.mark.parametrize(("value", "moved"), [
    ("20200315", "20190209"),
    ("2020.03.15", "20190209"),  # ACR-NEMA
    ("20200315-20200401", "20190209-20190226"),
    ("-20200101", "-20181127"),
    ("20200229", "20190125"),
    ("UNKNOWN", None), ("00000000", None), ("20200230", None), ("", None), ("-", None),
])
def test_dates_move_by_whole_days(value: str, moved: str | None) -> None:
    assert shift_date(value, -400) == moved


@pytest.mark.parametrize(("value", "moved"), [
    ("20200315101010.123+0100", "20190209101010.123+0100"),
    ("20200315-0500", "20190209-0500"),  # a UTC offset, not a range
    ("2020", "2018"), ("202003", "201901"),
    ("20200315101010-20200316", "20190209101010-20190210"),
    ("20200315101010-0500-20200316101010-0500", "20190209101010-0500-20190210101010-0500"),
    ("-20200315", "-20190209"), ("2019-2020", "2017-2018"),
    ("x", None), ("2020x", None), ("-", None),
])
def test_datetimes_keep_their_time_and_precision(value: str, moved: str | None) -> None:
    assert shift_datetime(value, -400) == moved
