"""Clean Descriptors: which descriptions may stay."""

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from app.deidentify.descriptors import IdentityWords


def _identity() -> IdentityWords:
    ds = Dataset()
    ds.PatientName = "Müller^Anna=ミュラー^アンナ"
    ds.PatientID = "MRN-88"
    ds.InstitutionName = "Klinikum Nordstadt"
    ds.StationName = "CTSCAN01"
    ds.AccessionNumber = "ACC42"
    observer = Dataset()
    observer.VerifyingObserverName = "Okafor^Chidi"
    ds.VerifyingObserverSequence = Sequence([observer])
    return IdentityWords(ds)


@pytest.mark.parametrize(("text", "clean"), [
    ("CT CHEST W CONTRAST", True),
    ("AX T2 FLAIR 5mm", True),
    ("t1_mprage_sag_p2_iso", True),
    ("MPR Thick 3.0", True),
    ("Thorax Mueller", True),  # a different spelling is not the name (conservative enough)
    ("Thorax MULLER", False),  # accents folded
    ("anna thorax", False),
    ("annamuller head", False),  # name parts run together
    ("ctscan01 routine", False),  # the station
    ("Nordstadt protocol", False),  # the institution
    ("mrn 88 knee", False),  # an ID's parts
    ("acc42", False),
    ("read by Dr Okafor", False),  # a name inside a sequence
    ("knee 0123456", False),  # digits like an ID
    ("follow-up 12/03/21", False),  # a written date
    ("baseline 2019", False),  # a true year
    ("mail anna@example.org", False),
    ("", True),
])
def test_a_description_is_clean_only_without_identifying_words(text: str, clean: bool) -> None:
    assert _identity().is_clean(text) is clean
