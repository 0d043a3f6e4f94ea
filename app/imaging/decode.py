"""Open a DICOM instance once and decode any one of its frames on demand.

The header is parsed once, up to the pixel data, and the position of the pixel data element
is kept; each frame is then decoded from the stream when it is asked for, so showing frame
139 of a 140-frame file reads and decodes that frame alone. A source is a path or a seekable
binary stream (a file in a folder, an ISO image member, a ZIP member: all the same here).

Decoders are pydicom 3 and its plugins (pylibjpeg-libjpeg, -openjpeg, -rle), except for
baseline JPEG, which Pillow decodes: its colour conversion is the one dcmtk uses, while
pylibjpeg's libjpeg is up to 9 levels off on subsampled chroma; JPEG XL, which
pydicom 3.0 lacks (``app.imaging.jxl``); and JPEG 2000, HTJ2K, JPEG-LS and JPEG
Lossless, which imagecodecs decodes first, through pydicom, so that threads decode in
parallel (``app.imaging.imagecodecs_plugin``; pydicom's plugins remain the fallback).
"""

import os
import struct
import threading
import zlib
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any, BinaryIO, cast

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate, get_frame
from pydicom.pixels.decoders.base import get_decoder
from pydicom.uid import UID
from rle.rle import decode_segment

from app.core.dicom_prefix import PREFIX_BYTES, looks_like_dicom
from app.core.dicom_values import element_int, element_text
from app.core.errors import DecodeError
from app.core.inflate import (
    MAX_INFLATED_BYTES,
    InflateLimitError,
    deflated_dataset_start,
    inflated_size,
)
from app.imaging.imagecodecs_plugin import plugin_for
from app.imaging.jpeg import codestream_size, decode_baseline, repair_sequential_scan
from app.imaging.jxl import JPEG_XL_SYNTAXES, decode_jxl
from app.imaging.syntaxes import (
    DEFLATED,
    EXPLICIT_BIG,
    EXPLICIT_LITTLE,
    IMPLICIT_LITTLE,
    JPEG_BASELINE,
    JPEG_EXTENDED,
    NATIVE_SYNTAXES,
    RLE,
    preferred_plugin,
    syntax_label,
    unsupported_reason,
)

Source = str | os.PathLike[str] | IO[bytes]

_PIXEL_KEYWORDS = {
    0x7FE00010: "PixelData",
    0x7FE00008: "FloatPixelData",
    0x7FE00009: "DoubleFloatPixelData",
}
_UNDEFINED_LENGTH = 0xFFFFFFFF
# One decoded frame above this is no real image but a damaged header; refusing it before
# anything is allocated keeps a bad file from taking the machine's memory. The largest
# real frames (mammograms, 4096 × 5625 × 2 bytes) take under 50 MB; 256 MB leaves room
# for the copies rendering makes while staying under about 1 GB.
MAX_FRAME_BYTES = 256 << 20
# Codestreams may be padded to whole blocks beyond Rows and Columns.
_CODESTREAM_SLACK = 16


@dataclass(frozen=True)
class PixelLayout:
    """How the pixel data of an instance is laid out, from its Image Pixel module.

    Values missing from a damaged header are given the defaults every viewer assumes:
    one sample, MONOCHROME2, unsigned, Bits Stored equal to Bits Allocated, one frame.
    """

    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    photometric: str
    planar_configuration: int
    number_of_frames: int
    transfer_syntax_uid: str
    pixel_keyword: str

    @property
    def is_signed(self) -> bool:
        """True when stored values are two's complement."""
        return self.pixel_representation == 1

    @property
    def is_float(self) -> bool:
        """True for Float or Double Float Pixel Data (parametric maps)."""
        return self.pixel_keyword != "PixelData"

    @property
    def decoded_frame_bytes(self) -> int:
        """Bytes one decoded frame takes in memory."""
        itemsize = max(1, (self.bits_allocated + 7) // 8)
        return self.rows * self.columns * self.samples_per_pixel * itemsize


@dataclass(frozen=True)
class DecodedFrame:
    """One decoded frame: stored values, before any LUT.

    ``pixels`` is (rows, columns) for one sample per pixel and (rows, columns, 3) for
    colour, always interleaved whatever the planar configuration was. ``photometric`` is
    the colour space of ``pixels``, which decoding may change: baseline JPEG in YBR comes
    out as RGB, JPEG 2000 in YBR_ICT/YBR_RCT too.
    """

    index: int
    pixels: np.ndarray
    photometric: str


class DicomImage:
    """An opened instance: its header, parsed once, and its frames, decoded one at a time.

    Decoding is serialised by a lock, so one instance may be shared between the viewer's
    worker threads. Close it (or use it as a context manager) to close the file it opened;
    a stream passed in by the caller is left open.
    """

    def __init__(
        self,
        stream: IO[bytes],
        header: Dataset,
        layout: PixelLayout,
        pixels: "_PixelElement",
        owns_stream: bool,
    ) -> None:
        self._stream = stream
        self._header = header
        self._layout = layout
        self._pixels = pixels
        self._owns_stream = owns_stream
        self._lock = threading.Lock()

    @property
    def header(self) -> Dataset:
        """Every element before the pixel data (the whole dataset for deflated files)."""
        return self._header

    @property
    def layout(self) -> PixelLayout:
        """Rows, columns, bits, photometric interpretation, frames, transfer syntax."""
        return self._layout

    @property
    def number_of_frames(self) -> int:
        """How many frames the pixel data holds (1 for a single image)."""
        return self._layout.number_of_frames

    def close(self) -> None:
        """Close the file if this object opened it."""
        if self._owns_stream:
            self._stream.close()

    def __enter__(self) -> "DicomImage":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def decode_frame(self, index: int) -> DecodedFrame:
        """Decode frame ``index`` (from 0) and nothing else.

        Raises DecodeError when no installed decoder reads the transfer syntax (the message
        names it), when the frame does not exist, or when its data is damaged.
        """
        layout = self._layout
        if not 0 <= index < layout.number_of_frames:
            raise DecodeError(
                f"There is no frame {index} in this image: its frames are numbered "
                f"0 to {layout.number_of_frames - 1}."
            )
        unsupported = unsupported_reason(layout.transfer_syntax_uid)
        if unsupported:
            raise DecodeError(unsupported)
        self._check_size(index)
        with self._lock:
            try:
                return self._decode(index)
            except DecodeError:
                raise
            except MemoryError as exc:
                raise DecodeError(
                    "There is not enough memory to decode this image; close other "
                    "programs or images and try again."
                ) from exc
            except Exception as exc:
                label = syntax_label(layout.transfer_syntax_uid)
                raise DecodeError(
                    f"The image data of frame {index} is damaged and cannot be decoded ({label})."
                ) from exc
            except BaseException as exc:
                if not is_rust_panic(exc):
                    raise
                label = syntax_label(layout.transfer_syntax_uid)
                raise DecodeError(
                    f"The decoder gave up on frame {index} ({label}): the image data is "
                    "damaged or too large for this computer's memory."
                ) from exc

    def _check_size(self, index: int) -> None:
        layout = self._layout
        if not self._pixels.encapsulated:
            needed = _native_bytes_through(layout, index)
            if needed > self._pixels.length:
                raise DecodeError(
                    "The image data is incomplete: the file holds "
                    f"{self._pixels.length:,} bytes of it but frame {index} needs {needed:,}."
                )
        if layout.decoded_frame_bytes > MAX_FRAME_BYTES:
            raise DecodeError(
                f"This image is too large to show ({layout.columns:,} × {layout.rows:,} "
                "pixels); its header is probably damaged."
            )

    def _check_codestream(self, index: int) -> None:
        """Refuse a compressed frame whose own header claims more than Rows × Columns:
        Pillow and openjpeg would allocate for the codestream's size, not the header's."""
        layout = self._layout
        if not self._pixels.encapsulated or layout.transfer_syntax_uid in JPEG_XL_SYNTAXES:
            return
        if layout.transfer_syntax_uid == RLE:
            return
        size = codestream_size(self._encoded_frame(index))
        if size is None:
            return
        columns, rows = size
        if columns > layout.columns + _CODESTREAM_SLACK or rows > layout.rows + _CODESTREAM_SLACK:
            raise DecodeError(
                f"Frame {index} cannot be shown: its compressed data claims {columns:,} × "
                f"{rows:,} pixels, but the image has {layout.columns:,} × {layout.rows:,}; "
                "the file is damaged."
            )

    def _decode(self, index: int) -> DecodedFrame:
        layout = self._layout
        syntax = layout.transfer_syntax_uid
        self._check_codestream(index)
        if syntax == JPEG_BASELINE or (syntax == JPEG_EXTENDED and layout.bits_stored <= 8):
            frame = self._decode_with_pillow(index)
            if frame is not None:
                return frame
        if syntax == RLE and layout.bits_allocated == 1:
            return self._decode_rle_bits(index)
        if syntax in JPEG_XL_SYNTAXES:
            return self._decode_jxl(index)
        if _reads_natively(layout) and not self._pixels.encapsulated and not self._pixels.buffer:
            return self._decode_native(index)
        fast = self._decode_with_imagecodecs(index)
        if fast is not None:
            return fast
        try:
            return self._decode_with_plugins(index, self._source())
        except Exception:
            if syntax not in (JPEG_BASELINE, JPEG_EXTENDED):
                raise
            repaired = repair_sequential_scan(self._encoded_frame(index))
            if repaired is None:
                raise
        # IJG's libjpeg (and so dcmtk) only warns about a damaged scan header where
        # pylibjpeg's libjpeg refuses; with the header mended both read the same pixels.
        frame = self._decode_with_plugins(0, encapsulate([repaired]), number_of_frames=1)
        return DecodedFrame(index, frame.pixels, frame.photometric)

    def _decode_with_imagecodecs(self, index: int) -> DecodedFrame | None:
        """JPEG 2000, HTJ2K, JPEG-LS and JPEG Lossless through imagecodecs, which decodes
        without holding the GIL (``app.imaging.imagecodecs_plugin``); None when it is not
        installed or fails on this frame, for pydicom's own plugins to try as before."""
        if not self._pixels.encapsulated:
            return None
        plugin = plugin_for(self._layout.transfer_syntax_uid)
        if not plugin:
            return None
        try:
            return self._decode_with_pydicom(index, self._source(), plugin, {})
        except Exception:  # The usual plugins then decode it, or word the failure.
            return None

    def _decode_rle_bits(self, index: int) -> DecodedFrame:
        """One-bit RLE frames (segmentations), which pydicom's RLE decoders refuse.

        Each frame is one PackBits segment of bits packed from the least significant
        end, so a frame whose size is no multiple of 8 still starts on a byte.
        """
        layout = self._layout
        encoded = self._encoded_frame(index)
        header = struct.unpack_from("<16I", encoded)
        if header[0] != 1 or layout.samples_per_pixel != 1:
            raise DecodeError("This one-bit RLE image has an unexpected number of segments.")
        start = header[1]
        data = np.frombuffer(bytes(decode_segment(encoded[start:])), dtype=np.uint8)
        pixels = layout.rows * layout.columns
        if data.size * 8 < pixels:
            raise DecodeError(f"The image data of frame {index} is incomplete.")
        bits = np.unpackbits(data, bitorder="little")[:pixels]
        return DecodedFrame(index, bits.reshape(layout.rows, layout.columns), layout.photometric)

    def _decode_native(self, index: int) -> DecodedFrame:
        """One plain little-endian grey frame, read straight into an array.

        Scrolling through a CT series is one such frame per file: pydicom's decoder
        machinery (option checks, a copy to fix unused bits) costs more than the read.
        Bits above Bits Stored are dealt with by ``render.stored_values`` as for every
        decoder.
        """
        layout = self._layout
        itemsize = layout.bits_allocated // 8
        size = layout.rows * layout.columns * itemsize
        self._stream.seek(self._pixels.value_offset + index * size)
        # Writable, as pydicom's arrays are, and no extra copy where the stream allows.
        data = bytearray(size)
        readinto = getattr(self._stream, "readinto", None)
        if readinto is not None:
            got = int(readinto(data))
        else:
            data = bytearray(self._stream.read(size))
            got = len(data)
        if got < size:
            raise DecodeError(f"The image data of frame {index} is incomplete.")
        dtype = np.dtype(f"<{'i' if layout.is_signed else 'u'}{itemsize}")
        pixels = np.frombuffer(data, dtype=dtype).reshape(layout.rows, layout.columns)
        return DecodedFrame(index, _within_bits_stored(pixels, layout), layout.photometric)

    def _decode_jxl(self, index: int) -> DecodedFrame:
        layout = self._layout
        pixels, photometric = decode_jxl(
            self._encoded_frame(index),
            layout.transfer_syntax_uid,
            layout.rows,
            layout.columns,
            layout.samples_per_pixel,
            layout.photometric,
            layout.bits_stored,
            layout.is_signed,
        )
        return DecodedFrame(index, pixels, photometric)

    def _source(self) -> IO[bytes] | bytes:
        """The pixel data value: the stream positioned at it, or the bytes of it."""
        if self._pixels.buffer is not None:
            return self._pixels.buffer
        self._stream.seek(self._pixels.value_offset)
        return self._stream

    def _encoded_frame(self, index: int) -> bytes:
        return get_frame(
            self._source(),
            index,
            number_of_frames=self._layout.number_of_frames,
            extended_offsets=_extended_offsets(self._header),
        )

    def _decode_with_plugins(
        self, index: int, source: IO[bytes] | bytes, **overrides: Any
    ) -> DecodedFrame:
        """Decode through pydicom: the preferred plugin first, then any other installed."""
        preferred = preferred_plugin(self._layout.transfer_syntax_uid)
        try:
            return self._decode_with_pydicom(index, source, preferred, overrides)
        except Exception:
            if not preferred:
                raise
        if not isinstance(source, bytes):
            source = self._source()
        return self._decode_with_pydicom(index, source, "", overrides)

    def _decode_with_pydicom(
        self, index: int, source: IO[bytes] | bytes, plugin: str, overrides: dict[str, Any]
    ) -> DecodedFrame:
        layout = self._layout
        decoder = get_decoder(layout.transfer_syntax_uid)
        options = self._decoder_options()
        if "number_of_frames" in overrides:
            options.pop("extended_offsets", None)
        options.update(overrides)
        array, properties = decoder.as_array(
            source if isinstance(source, bytes) else cast(BinaryIO, source),
            index=index,
            raw=True,
            decoding_plugin=plugin,
            **options,
        )
        photometric = str(properties.get("photometric_interpretation", layout.photometric))
        return DecodedFrame(index, _frame_shape(array, layout), photometric)

    def _decoder_options(self) -> dict[str, Any]:
        layout = self._layout
        options: dict[str, Any] = {
            "transfer_syntax_uid": UID(layout.transfer_syntax_uid),
            "rows": layout.rows,
            "columns": layout.columns,
            "samples_per_pixel": layout.samples_per_pixel,
            "bits_allocated": layout.bits_allocated,
            "bits_stored": layout.bits_stored,
            "pixel_representation": layout.pixel_representation,
            "photometric_interpretation": layout.photometric,
            "number_of_frames": layout.number_of_frames,
            "pixel_keyword": layout.pixel_keyword,
        }
        if layout.samples_per_pixel > 1:
            options["planar_configuration"] = layout.planar_configuration
        if self._pixels.vr:
            options["pixel_vr"] = self._pixels.vr
        offsets = _extended_offsets(self._header)
        if offsets is not None:
            options["extended_offsets"] = offsets
        return options

    def _decode_with_pillow(self, index: int) -> DecodedFrame | None:
        """Baseline JPEG through Pillow; None when Pillow cannot read this frame."""
        layout = self._layout
        decoded = decode_baseline(
            self._encoded_frame(index),
            layout.rows,
            layout.columns,
            layout.samples_per_pixel,
            layout.photometric,
        )
        return None if decoded is None else DecodedFrame(index, *decoded)


@dataclass(frozen=True)
class _PixelElement:
    """Where the pixel data value is: an offset in the stream, or bytes already read."""

    value_offset: int
    length: int
    encapsulated: bool
    vr: str
    keyword: str = "PixelData"
    buffer: bytes | None = None


def open_image(source: Source) -> DicomImage:
    """Open the instance at ``source`` (a path or a seekable binary stream) for decoding.

    Only the header is read here. Raises DecodeError when the file cannot be parsed or
    holds no image (a report, a plan, a PDF).
    """
    owns = isinstance(source, str | os.PathLike)
    if isinstance(source, str | os.PathLike):
        try:
            stream: IO[bytes] = open(source, "rb")  # noqa: SIM115 (closed by DicomImage)
        except OSError as exc:
            raise DecodeError(f"The file cannot be opened: {exc.strerror or exc}.") from exc
    else:
        stream = source
    try:
        return _open_stream(stream, owns)
    except BaseException:
        if owns:
            stream.close()
        raise


def is_rust_panic(exc: BaseException) -> bool:
    """True for pyo3's ``PanicException`` (pylibjpeg-rle raises it when an allocation
    fails). It derives from BaseException, so it passes every ``except Exception``; pyo3
    does not export the class conveniently, so it is known by name and module."""
    cls = type(exc)
    return cls.__name__ == "PanicException" and cls.__module__ in ("pyo3_runtime", "builtins")


def _check_inflated_size(stream: IO[bytes]) -> None:
    """Refuse a deflated file that would inflate past MAX_INFLATED_BYTES: pydicom inflates
    the whole dataset in one call, so a 2 MB file could take gigabytes."""
    try:
        if deflated_dataset_start(stream) is not None:
            inflated_size(stream)
    except InflateLimitError as exc:
        raise DecodeError(
            "This file cannot be shown: its compressed data would grow to more than "
            f"{MAX_INFLATED_BYTES >> 20} MB in memory, so it is damaged or hostile."
        ) from exc
    except zlib.error as exc:
        raise DecodeError("The file is damaged: its deflated data cannot be read.") from exc


# What the viewer says of a file that is not DICOM at all (a disc's list of pictures may
# name one): pydicom, forced, would read such bytes as an empty dataset with no image.
NOT_DICOM = "This file is not a medical image (it is not in the DICOM format): there is " \
            "nothing to show."


def _open_stream(stream: IO[bytes], owns: bool) -> DicomImage:
    stream.seek(0)
    if not looks_like_dicom(stream.read(PREFIX_BYTES)):
        raise DecodeError(NOT_DICOM)
    _check_inflated_size(stream)
    stream.seek(0)
    try:
        header = dcmread(stream, stop_before_pixels=True, force=True)
    except Exception as exc:
        raise DecodeError("The file is damaged: its header cannot be read.") from exc
    syntax = _transfer_syntax(header)
    if syntax == DEFLATED:
        # Deflate hides the positions in the file: inflate it all (such files are small).
        stream.seek(0)
        try:
            header = dcmread(stream, force=True)
        except Exception as exc:
            raise DecodeError("The file is damaged: its deflated data cannot be read.") from exc
        pixels = _pixels_in_memory(header)
    else:
        pixels = _pixels_in_stream(stream, header, syntax)
    layout = _layout(header, syntax, pixels)
    return DicomImage(stream, header, layout, pixels, owns)


def _transfer_syntax(header: Dataset) -> str:
    meta = getattr(header, "file_meta", None)
    declared = str(meta.get("TransferSyntaxUID", "") if meta is not None else "").strip("\0 ")
    if declared and declared not in NATIVE_SYNTAXES:
        return declared
    if declared == DEFLATED:
        return DEFLATED
    # For uncompressed data, the encoding pydicom actually found wins over the declared
    # one: files without meta, or with a wrong one, are common on old discs.
    implicit, little = header.original_encoding
    if implicit:
        return IMPLICIT_LITTLE
    return EXPLICIT_LITTLE if little is not False else EXPLICIT_BIG


def _no_image_message(header: Dataset) -> str:
    if "Rows" in header and "Columns" in header:
        return "The file ends before its image data (it is cut short)."
    modality = element_text(header, "Modality")
    kind = f" ({modality})" if modality else ""
    return f"This file holds no image{kind}: there is no pixel data to show."


def _pixels_in_stream(stream: IO[bytes], header: Dataset, syntax: str) -> _PixelElement:
    start = stream.tell()
    size = stream.seek(0, os.SEEK_END)
    stream.seek(start)
    head = stream.read(8)
    if len(head) < 8:
        raise DecodeError(_no_image_message(header))
    little = syntax != EXPLICIT_BIG
    endian = "<" if little else ">"
    group, element = struct.unpack_from(endian + "HH", head)
    keyword = _PIXEL_KEYWORDS.get(group << 16 | element)
    if keyword is None:
        raise DecodeError(_no_image_message(header))
    vr = ""
    if syntax == IMPLICIT_LITTLE:
        (length,) = struct.unpack_from(endian + "I", head, 4)
        value_offset = start + 8
    else:
        vr = head[4:6].decode("latin-1")
        more = stream.read(4)
        if len(more) < 4:
            raise DecodeError("The file ends in the middle of its image data (it is truncated).")
        (length,) = struct.unpack(endian + "I", more)
        value_offset = start + 12
    encapsulated = length == _UNDEFINED_LENGTH
    available = size - value_offset
    return _PixelElement(
        value_offset=value_offset,
        length=available if encapsulated else min(length, available),
        encapsulated=encapsulated,
        vr=vr,
        keyword=keyword,
    )


def _pixels_in_memory(dataset: Dataset) -> _PixelElement:
    for tag, keyword in _PIXEL_KEYWORDS.items():
        if tag in dataset:
            element = dataset[tag]
            value = element.value
            if not isinstance(value, bytes | bytearray):
                break
            data = bytes(value)
            encapsulated = bool(element.is_undefined_length)
            return _PixelElement(0, len(data), encapsulated, str(element.VR), keyword, data)
    raise DecodeError(_no_image_message(dataset))


def _layout(header: Dataset, syntax: str, pixels: _PixelElement) -> PixelLayout:
    rows = element_int(header, "Rows", 0)
    columns = element_int(header, "Columns", 0)
    if rows <= 0 or columns <= 0:
        raise DecodeError(
            "The file is damaged: it does not say how many rows and columns its image has."
        )
    samples = element_int(header, "SamplesPerPixel", 1)
    bits_allocated = element_int(header, "BitsAllocated", 0)
    keyword = pixels.keyword
    if keyword != "PixelData":
        bits_allocated = 32 if keyword == "FloatPixelData" else 64
    if bits_allocated not in (1, 8, 16, 32, 64):
        raise DecodeError(
            f"This image packs each pixel into {bits_allocated} bits, which Lightbox cannot decode."
        )
    bits_stored = element_int(header, "BitsStored", bits_allocated)
    if not 1 <= bits_stored <= bits_allocated:
        bits_stored = bits_allocated
    default_pi = "MONOCHROME2" if samples == 1 else "RGB"
    photometric = element_text(header, "PhotometricInterpretation") or default_pi
    return PixelLayout(
        rows=rows,
        columns=columns,
        samples_per_pixel=samples,
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        pixel_representation=1 if element_int(header, "PixelRepresentation", 0) == 1 else 0,
        photometric=photometric.upper(),
        planar_configuration=1 if element_int(header, "PlanarConfiguration", 0) == 1 else 0,
        number_of_frames=max(1, element_int(header, "NumberOfFrames", 1)),
        transfer_syntax_uid=syntax,
        pixel_keyword=keyword,
    )


def _within_bits_stored(pixels: np.ndarray, layout: PixelLayout) -> np.ndarray:
    """``pixels`` with the bits above Bits Stored cleared, or sign-extended when signed,
    as pydicom's decoders return them; one min/max pass when they already are."""
    bits = layout.bits_stored
    if bits >= layout.bits_allocated:
        return pixels
    low = -(1 << (bits - 1)) if layout.is_signed else 0
    high = (1 << (bits - 1)) - 1 if layout.is_signed else (1 << bits) - 1
    if int(pixels.min()) >= low and int(pixels.max()) <= high:
        return pixels
    masked = pixels.astype(np.int32) & ((1 << bits) - 1)
    if layout.is_signed:
        masked = np.where(masked > high, masked - (1 << bits), masked)
    return masked.astype(pixels.dtype)


def _reads_natively(layout: PixelLayout) -> bool:
    """True for frames ``_decode_native`` reads: uncompressed little-endian grey integers
    of 8 or 16 bits (most CT, MR, CR slices)."""
    return (
        layout.transfer_syntax_uid in (EXPLICIT_LITTLE, IMPLICIT_LITTLE)
        and layout.pixel_keyword == "PixelData"
        and layout.samples_per_pixel == 1
        and layout.bits_allocated in (8, 16)
        and layout.photometric in ("MONOCHROME1", "MONOCHROME2")
    )


def _native_bytes_through(layout: PixelLayout, index: int) -> int:
    """Bytes of uncompressed pixel data needed to hold frames 0 to ``index``."""
    samples = layout.samples_per_pixel
    if layout.photometric == "YBR_FULL_422" and layout.bits_allocated == 8:
        samples = 2  # Y Y Cb Cr: chroma shared by each pair of pixels.
    bits = layout.rows * layout.columns * samples * layout.bits_allocated * (index + 1)
    return (bits + 7) // 8


def _extended_offsets(header: Dataset) -> tuple[bytes, bytes] | None:
    if 0x7FE00001 in header and 0x7FE00002 in header:
        offsets = header[0x7FE00001].value
        lengths = header[0x7FE00002].value
        if isinstance(offsets, bytes) and isinstance(lengths, bytes):
            return offsets, lengths
    return None


def _frame_shape(array: np.ndarray, layout: PixelLayout) -> np.ndarray:
    """One frame as (rows, columns) or (rows, columns, samples), whatever pydicom returned."""
    if layout.samples_per_pixel == 1:
        return array.reshape(layout.rows, layout.columns)
    return array.reshape(layout.rows, layout.columns, layout.samples_per_pixel)
