"""A DICOMDIR built as instances are written and encoded in one pass at the end.

pydicom's ``FileSet`` can write a DICOMDIR, but ``FileSet.add`` looks through every
instance already added, so a study of 2,000 images takes over a minute just to be added
(``bench``/FIELD-NOTES measure it), and it re-encodes every file it is given. Here each
instance is placed in a tree (patient, study, series, instance) by dictionary look-ups,
its File ID chosen on the way (``app.exporting.fileids``), and the records are made by
pydicom's recorders (``app.exporting.records``).

Encoding (PS3.10 7, PS3.3 F.3): the records are items of one Directory Record Sequence;
each holds the byte offset of its next sibling and of its first child, counted from the
first byte of the file. Every record is encoded once with those offsets zero; since an
offset is a fixed-size UL, the lengths are then known, the offsets follow from them in one
sum, and they are patched into the encoded bytes.
"""

import itertools
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.uid import UID, ExplicitVRLittleEndian, MediaStorageDirectoryStorage, generate_uid

from app.core.dicom_values import dataset_text
from app.exporting.fileids import (
    PATIENT_PREFIX,
    ROOT_FOLDER,
    SERIES_PREFIX,
    STUDY_PREFIX,
    leaf_prefix,
    numbered,
)
from app.exporting.records import RecordMaker, record_types, tree_keys

FILE_SET_ID = "LIGHTBOX"

# Where the two offsets sit in an encoded record (Explicit VR Little Endian). The record's
# first elements, sorted by tag, are always (0004,1400) UL, (0004,1410) US, (0004,1420) UL.
_NEXT_TAG = b"\x04\x00\x00\x14UL\x04\x00"
_LOWER_TAG = b"\x04\x00\x20\x14UL\x04\x00"
_NEXT_VALUE = 8
_LOWER_VALUE = 8 + 4 + 10 + 8

_ITEM = 0xE000FFFE.to_bytes(4, "little")  # (FFFE,E000) as a little-endian tag
_SEQUENCE_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


@dataclass
class _Node:
    """A directory record, its children, and how its child folders and files are named."""

    record: Dataset
    folder: str = ""
    children: list["_Node"] = field(default_factory=list)
    by_key: dict[object, "_Node"] = field(default_factory=dict)


@dataclass(frozen=True)
class Placement:
    """Where an instance went: its File ID and the record type that lists it."""

    file_id: tuple[str, ...]
    record_type: str


class DicomdirBuilder:
    """The records of one File-set, in the order instances are placed."""

    def __init__(self, file_set_id: str = FILE_SET_ID) -> None:
        self.file_set_id = file_set_id
        self._maker = RecordMaker()
        self._roots: list[_Node] = []
        self._patients: dict[object, _Node] = {}
        self._studies = 0
        self._root_files = 0

    def place(self, ds: Dataset, transfer_syntax_uid: str) -> Placement:
        """Choose the File ID of ``ds`` and add its records (and those of its patient,
        study and series when they are new). ``transfer_syntax_uid`` is that of the file
        as written. ValueError when the object cannot be listed at all; the tree is then
        as it was."""
        four_level, record_type = record_types(ds)
        if not four_level:
            record = self._maker.root_level(ds, record_type)
            file_id: tuple[str, ...] = (
                ROOT_FOLDER, numbered(leaf_prefix(record_type), self._root_files + 1))
            self._roots.append(_Node(_reference(record, ds, file_id, transfer_syntax_uid)))
            self._root_files += 1
            return Placement(file_id, record_type)

        patient_key, study_key, series_key = tree_keys(ds)
        patient = self._patients.get(patient_key)
        study = patient.by_key.get(study_key) if patient else None
        series = study.by_key.get(series_key) if study else None
        # Every new record is made before anything is attached: a failure changes nothing.
        patients = len(self._patients) + 1
        new_patient = None if patient else _Node(self._maker.patient(ds, patients),
                                                 numbered(PATIENT_PREFIX, patients))
        studies = len(patient.children) + 1 if patient else 1
        new_study = None if study else _Node(self._maker.study(ds, self._studies + 1),
                                             numbered(STUDY_PREFIX, studies))
        series_count = len(study.children) + 1 if study else 1
        new_series = None if series else _Node(
            self._maker.series(ds, study_key, series_count),
            numbered(SERIES_PREFIX, series_count))
        number = len(series.children) + 1 if series else 1
        record_type, record = self._maker.leaf(ds, record_type, number)
        patient = patient or new_patient
        study = study or new_study
        series = series or new_series
        assert patient is not None and study is not None and series is not None
        file_id = (ROOT_FOLDER, patient.folder, study.folder, series.folder,
                   numbered(leaf_prefix(record_type), number))
        leaf = _Node(_reference(record, ds, file_id, transfer_syntax_uid))

        if new_patient is not None:
            self._patients[patient_key] = new_patient
            self._roots.append(new_patient)
        if new_study is not None:
            _attach(patient, study_key, new_study)
            self._studies += 1
        if new_series is not None:
            _attach(study, series_key, new_series)
        series.children.append(leaf)
        return Placement(file_id, record_type)

    def notes(self) -> list[str]:
        """What the DICOMDIR had to make up for files that lacked it (see records)."""
        return self._maker.notes()

    def encode(self, file_set_uid: str | None = None) -> bytes:
        """The whole DICOMDIR file: preamble, File Meta Information, the records."""
        uid = file_set_uid or str(generate_uid())
        head = _file_meta(uid) + _top_elements(self.file_set_id)
        # Offsets of the first and last root records: placeholders patched below.
        first_at = len(head) - 12 - 10 - 12 - 12 + 8
        last_at = first_at + 12

        nodes = list(_preorder(self._roots))
        bodies = [_encode_record(node.record) for node in nodes]
        offsets: dict[int, int] = {}
        position = len(head)
        for node, body in zip(nodes, bodies, strict=True):
            offsets[id(node)] = position
            position += 8 + len(body)

        out = bytearray(head)
        for node, body in zip(nodes, bodies, strict=True):
            item = bytearray(_ITEM + struct.pack("<I", len(body)) + body)
            if node.children:
                struct.pack_into("<I", item, 8 + _LOWER_VALUE, offsets[id(node.children[0])])
            out += item
        _link_siblings(out, [self._roots], offsets)
        for parent in _preorder(self._roots):
            _link_siblings(out, [parent.children], offsets)
        out += _SEQUENCE_END
        if self._roots:
            struct.pack_into("<I", out, first_at, offsets[id(self._roots[0])])
            struct.pack_into("<I", out, last_at, offsets[id(self._roots[-1])])
        return bytes(out)


def _attach(parent: _Node, key: object, node: _Node) -> None:
    parent.children.append(node)
    parent.by_key[key] = node


def _reference(record: Dataset, ds: Dataset, file_id: Sequence[str],
               transfer_syntax_uid: str) -> Dataset:
    """Complete a leaf record with the file it refers to (PS3.3 F.3.2.2)."""
    meta = getattr(ds, "file_meta", None)
    sop_class = dataset_text(ds, "SOPClassUID") or (
        dataset_text(meta, "MediaStorageSOPClassUID") if meta is not None else "")
    if not sop_class:
        raise ValueError("it names no SOP class")
    record.ReferencedFileID = list(file_id)
    record.ReferencedSOPClassUIDInFile = sop_class
    record.ReferencedSOPInstanceUIDInFile = dataset_text(ds, "SOPInstanceUID")
    record.ReferencedTransferSyntaxUIDInFile = transfer_syntax_uid
    return record


def _preorder(nodes: list[_Node]) -> Iterator[_Node]:
    """Each node, then its descendants: the order records are written in."""
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _link_siblings(out: bytearray, groups: list[list[_Node]], offsets: dict[int, int]) -> None:
    """Set each node's Offset of the Next Directory Record to its next sibling."""
    for siblings in groups:
        for node, following in itertools.pairwise(siblings):
            struct.pack_into("<I", out, offsets[id(node)] + 8 + _NEXT_VALUE,
                             offsets[id(following)])


def _encode_record(record: Dataset) -> bytes:
    """One record as Explicit VR Little Endian bytes, its offsets still zero."""
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = False
    write_dataset(fp, record)
    body = fp.getvalue()
    # Patching relies on where the offsets are: check it rather than trust it.
    if body[:8] != _NEXT_TAG or body[_LOWER_VALUE - 8:_LOWER_VALUE] != _LOWER_TAG:
        raise ValueError("a directory record does not start with its offsets")
    return body


def _file_meta(media_storage_uid: str) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MediaStorageDirectoryStorage
    meta.MediaStorageSOPInstanceUID = UID(media_storage_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = False
    fp.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(fp, meta, enforce_standard=True)
    return fp.getvalue()


def _element(group: int, element: int, vr: bytes, value: bytes) -> bytes:
    return struct.pack("<HH2sH", group, element, vr, len(value)) + value


def _top_elements(file_set_id: str) -> bytes:
    """File-set ID, the root offsets (zero here), the consistency flag, and the start of
    the Directory Record Sequence (undefined length)."""
    name = file_set_id.encode("ascii")
    if len(name) % 2:
        name += b" "
    return b"".join([
        _element(0x0004, 0x1130, b"CS", name),
        _element(0x0004, 0x1200, b"UL", b"\0\0\0\0"),
        _element(0x0004, 0x1202, b"UL", b"\0\0\0\0"),
        _element(0x0004, 0x1212, b"US", b"\0\0"),
        struct.pack("<HH2sHI", 0x0004, 0x1220, b"SQ", 0, 0xFFFFFFFF),
    ])
