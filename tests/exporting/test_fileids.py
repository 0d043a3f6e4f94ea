"""PS3.10 File IDs (app.exporting.fileids)."""

import pytest

from app.core.errors import ExportError
from app.exporting.fileids import is_conformant, leaf_prefix, numbered


def test_numbered_components_are_eight_characters() -> None:
    assert numbered("PAT", 1) == "PAT00001"
    assert numbered("SR", 42) == "SR000042"
    assert numbered("IMG", 99_999) == "IMG99999"


def test_a_folder_too_full_to_name_is_one_sentence() -> None:
    with pytest.raises(ExportError, match="more than 99,999 files"):
        numbered("IMG", 100_000)


@pytest.mark.parametrize("record_type", ["IMAGE", "SR DOCUMENT", "PRESENTATION",
                                         "KEY OBJECT DOC", "ENCAP DOC", "RT DOSE",
                                         "SPECTROSCOPY", "PALETTE"])
def test_every_leaf_prefix_leaves_room_for_a_number(record_type: str) -> None:
    assert is_conformant(["DICOM", numbered(leaf_prefix(record_type), 9_999)])


@pytest.mark.parametrize(("file_id", "conformant"), [
    (["DICOM", "PAT00001", "IMG00001"], True),
    (["DICOMDIR"], True),
    (["dicom", "IMG1"], False),  # lower case
    (["DICOM", "IMG000001"], False),  # nine characters
    (["DICOM", "IMG-1"], False),
    (["A"] * 9, False),  # nine levels
    ([], False),
])
def test_conformance(file_id: list[str], conformant: bool) -> None:
    assert is_conformant(file_id) is conformant
