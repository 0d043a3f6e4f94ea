"""A stored file's header as the export reads it, and what the file needs in front to be
a PS3.10 file on standard media.

Some discs carry files without a File Meta Information header (old ACR-NEMA style
writers): Lightbox imports and keeps them as they are. A DICOMDIR may only list files with
one, so the copy gets the missing header put in front of the unchanged data set: the
128-byte preamble, ``DICM`` and the meta elements built from what the data set says.
"""

import io
import os
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from app.core.dicom_values import dataset_text

PREAMBLE = b"\0" * 128
PREFIX = b"DICM"
# Headers are parsed from this much of the file in memory: pydicom asks the file for its
# position at every element, a system call each from a file, nothing from memory.
HEADER_BYTES = 64 * 1024
# Larger values of a header read from the file are read only if a record needs them.
_DEFER_BYTES = 64 * 1024


def read_header(path: Path) -> tuple[int, bytes, Dataset]:
    """The size of a stored file, its first bytes (for media_prefix) and its data set up
    to the pixel data. OSError when the file cannot be read; pydicom's errors when it is
    not DICOM at all."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(HEADER_BYTES)
        memory = io.BytesIO(head)
        try:
            ds = dcmread(memory, stop_before_pixels=True, force=True)
            # Whole when the file ended within the bytes read, or the reading stopped at
            # the pixel data before their end (pydicom steps back to its tag).
            if len(head) < HEADER_BYTES or memory.tell() < len(head) - 16:
                return size, head, ds
        except Exception:  # Cut off mid-element: read it from the file instead.
            pass
        fh.seek(0)
        return size, head, dcmread(fh, stop_before_pixels=True, force=True,
                                   defer_size=_DEFER_BYTES)


def transfer_syntax_of(ds: Dataset) -> str:
    """The Transfer Syntax UID of a data set as read: its File Meta's, or the encoding
    pydicom found when the file has none."""
    meta = getattr(ds, "file_meta", None)
    uid = dataset_text(meta, "TransferSyntaxUID") if meta is not None else ""
    if uid:
        return uid
    implicit, little = ds.original_encoding
    if implicit:
        return str(ImplicitVRLittleEndian)
    return str(ExplicitVRLittleEndian if little in (True, None) else ExplicitVRBigEndian)


def media_prefix(head: bytes, ds: Dataset) -> bytes:
    """The bytes to put in front of a stored file whose first bytes are ``head`` (b"" for
    a proper PS3.10 file), given its data set ``ds`` as read."""
    if head[128:132] == PREFIX:
        return b""
    if head[:4] == PREFIX:  # "DICM" and the meta elements, but no preamble
        return PREAMBLE
    if head[:2] == b"\x02\x00":  # the meta elements without preamble and "DICM"
        return PREAMBLE + PREFIX
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(dataset_text(ds, "SOPClassUID"))
    meta.MediaStorageSOPInstanceUID = UID(dataset_text(ds, "SOPInstanceUID"))
    meta.TransferSyntaxUID = UID(transfer_syntax_of(ds))
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = False
    fp.write(PREAMBLE + PREFIX)
    write_file_meta_info(fp, meta, enforce_standard=True)
    return fp.getvalue()


def encoded(ds: Dataset, transfer_syntax_uid: str) -> bytes:
    """A (transformed) data set as a whole PS3.10 file; its File Meta names the data set's
    own SOP class and instance (a transform may have changed them), in
    ``transfer_syntax_uid`` unless the meta names one."""
    meta = getattr(ds, "file_meta", None)
    if meta is None:
        meta = ds.file_meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(dataset_text(ds, "SOPClassUID"))
    meta.MediaStorageSOPInstanceUID = UID(dataset_text(ds, "SOPInstanceUID"))
    if not dataset_text(meta, "TransferSyntaxUID"):
        meta.TransferSyntaxUID = UID(transfer_syntax_uid)
    fp = DicomBytesIO()
    ds.save_as(fp, enforce_file_format=True)
    return bytes(fp.getvalue())
