"""Every corpus file, rendered, against dcmtk (or pydicom where dcmtk cannot decode it).

Two window modes per file: an explicit window (``+Ww C W``) and the file's default
(``+Wi 1`` when it has a window, ``+Wl 1`` for a VOI LUT, else ``+Wm``). Windows that sit
only in enhanced functional groups are ignored by dcmtk 3.6.7 but honoured by Lightbox;
for those files the default is compared against dcmtk given that window explicitly.
"""

import functools
import math
import re
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.pixels import pixel_array
from pydicom.pixels.processing import apply_color_lut

from app.core.errors import DecodeError
from app.imaging.decode import PixelLayout, open_image
from app.imaging.luts import Window
from app.imaging.render import (
    ColourFrame,
    GreyFrame,
    PreparedFrame,
    prepare_frame,
    render_file,
)
from tests.conftest import CORPUS, tool
from tests.imaging.reference import (
    CORPUS_FILES,
    DAMAGED,
    DCMTK,
    JPEG_EXTENDED,
    JPEG_LS_SYNTAXES,
    NO_IMAGE,
    OWN,
    PYDICOM,
    UNSUPPORTED,
    dcmtk_linear_window,
    dcmtk_render,
    files_of,
    frame_to_compare,
)


def _path(name: str) -> Path:
    return CORPUS / "files" / name


@functools.cache
def _prepared(name: str) -> tuple[PreparedFrame, int, PixelLayout]:
    """The compared frame of a file, decoded once for both window modes."""
    with open_image(_path(name)) as image:
        frame = frame_to_compare(name, image.number_of_frames)
        return prepare_frame(image, frame), frame, image.layout


def _explicit_window(prepared: GreyFrame) -> Window:
    """A window inside the frame's values, at least 256 wide.

    Narrower windows would turn the ±1 stored-value differences between 12-bit lossy JPEG
    decoders into several grey levels; those are covered by the default-window test.
    """
    low, high = prepared.value_range
    return Window((low + high) / 2 + 0.3, max(256.0, (high - low) / 2))


def _tolerance(layout: PixelLayout, window: Window | None) -> int:
    """One grey level, except where decoders legitimately differ.

    pylibjpeg's libjpeg and dcmtk's IJG disagree by one stored value on ~1.4% of the
    pixels of 12-bit lossy JPEG (IDCT rounding); a window steeper than one grey level per
    stored value magnifies that, and nothing else.
    """
    lossy_12_bit = layout.transfer_syntax_uid == JPEG_EXTENDED and layout.bits_stored > 8
    if not lossy_12_bit or window is None or window.width <= 1:
        return 1
    return max(1, math.ceil(255 / (window.width - 1)))


def _program(layout: PixelLayout) -> str:
    # dcmj2pnm has no JPEG-LS codec; dcml2pnm is the same pipeline with one.
    if layout.transfer_syntax_uid in JPEG_LS_SYNTAXES:
        return tool("dcml2pnm", "dcmtk")
    return tool("dcmj2pnm", "dcmtk")


def _assert_close(ours: np.ndarray, theirs: np.ndarray, tolerance: int, what: str) -> None:
    assert ours.dtype == np.uint8
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    difference = np.abs(ours.astype(np.int16) - theirs.astype(np.int16))
    worst = int(difference.max())
    assert worst <= tolerance, (
        f"{what}: {int((difference > tolerance).sum())} pixels differ by more than "
        f"{tolerance} (worst {worst})"
    )


def test_every_corpus_file_is_classified(corpus: Path) -> None:
    on_disk = {
        p.relative_to(corpus / "files").as_posix()
        for p in (corpus / "files").rglob("*")
        if p.is_file()
    }
    assert on_disk == set(CORPUS_FILES), "classify new corpus files in tests/imaging/reference.py"


@pytest.mark.parametrize("name", files_of(DCMTK))
def test_explicit_window_matches_dcmtk(corpus: Path, name: str, tmp_path: Path) -> None:
    prepared, frame, layout = _prepared(name)
    if isinstance(prepared, ColourFrame):
        # Colour ignores windows, in dcmtk too: the option must change nothing.
        theirs = dcmtk_render(_program(layout), _path(name), frame, ["+Ww", "0", "1"], tmp_path)
        _assert_close(prepared.render(Window(0, 1)), theirs, 1, name)
        return
    window = _explicit_window(prepared)
    options = ["+Ww", repr(window.center), repr(window.width)]
    theirs = dcmtk_render(_program(layout), _path(name), frame, options, tmp_path)
    _assert_close(prepared.render(window), theirs, _tolerance(layout, window), name)


@pytest.mark.parametrize("name", files_of(DCMTK))
def test_default_window_matches_dcmtk(corpus: Path, name: str, tmp_path: Path) -> None:
    prepared, frame, layout = _prepared(name)
    header = dcmread(_path(name), stop_before_pixels=True, force=True)
    options = [] if isinstance(prepared, ColourFrame) else _dcmtk_default(header, frame)
    theirs = dcmtk_render(_program(layout), _path(name), frame, options, tmp_path)
    window = None
    if isinstance(prepared, GreyFrame):
        resolved = prepared.resolve(None)
        window = resolved if isinstance(resolved, Window) else None
    _assert_close(prepared.render(), theirs, _tolerance(layout, window), name)


def _functional_group_item(header: Dataset, frame: int, keyword: str) -> Dataset | None:
    """``keyword``'s first item in the per-frame group of ``frame``, else the shared one."""
    for groups in ("PerFrameFunctionalGroupsSequence", "SharedFunctionalGroupsSequence"):
        items = header.get(groups)
        if not items:
            continue
        item = items[frame] if groups.startswith("PerFrame") else items[0]
        if item.get(keyword):
            return item[keyword][0]  # type: ignore[no-any-return]
    return None


def _dcmtk_default(header: Dataset, frame: int) -> list[str]:
    """dcmtk's options for the window Lightbox should pick by default, read independently."""
    voi = _functional_group_item(header, frame, "FrameVOILUTSequence")
    if voi is not None and voi.get("WindowCenter") not in (None, ""):
        center, width = _first(voi.WindowCenter), _first(voi.WindowWidth)
        return ["+Ww", repr(center), repr(width)]
    if header.get("WindowCenter") not in (None, "") and header.get("WindowWidth") not in (None, ""):
        return ["+Wi", "1"]
    if any(item.get("LUTData") for item in header.get("VOILUTSequence") or []):
        return ["+Wl", "1"]
    return ["+Wm"]


def _first(value: object) -> float:
    if isinstance(value, str | int | float):
        return float(value)
    return float(value[0])  # type: ignore[index]


# Files dcmtk cannot decode: pydicom's array and the same arithmetic, written out again.


@pytest.mark.parametrize("name", files_of(PYDICOM))
@pytest.mark.parametrize("mode", ["explicit", "default"])
def test_files_dcmtk_cannot_decode_match_pydicom(corpus: Path, name: str, mode: str) -> None:
    prepared, frame, _ = _prepared(name)
    header = dcmread(_path(name), stop_before_pixels=True, force=True)
    # A header missing these (MultiframeWindowing) gets the defaults Lightbox assumes.
    overrides = {
        option: 1 if keyword == "SamplesPerPixel" else 0
        for keyword, option in (
            ("PixelRepresentation", "pixel_representation"),
            ("SamplesPerPixel", "samples_per_pixel"),
        )
        if keyword not in header
    }
    array = pixel_array(str(_path(name)), index=frame, **overrides)
    if isinstance(prepared, ColourFrame):
        expected = _reference_colour(array, header)
        _assert_close(prepared.render(), expected, 1, name)
        return
    assert isinstance(prepared, GreyFrame)
    values = _reference_modality(array, header, frame)
    inverse = str(header.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1"
    if mode == "explicit":
        window = _explicit_window(prepared)
        expected = dcmtk_linear_window(values, window.center, window.width, inverse)
        _assert_close(prepared.render(window), expected, 1, name)
        return
    center, width = _reference_default_window(header, frame, values)
    expected = dcmtk_linear_window(values, center, width, inverse)
    _assert_close(prepared.render(), expected, 1, name)


def _reference_colour(array: np.ndarray, header: Dataset) -> np.ndarray:
    if str(header.PhotometricInterpretation).strip() == "PALETTE COLOR":
        rgb = apply_color_lut(array, header)
        return (rgb >> 8).astype(np.uint8) if rgb.dtype.itemsize > 1 else rgb
    return array.astype(np.uint8)


def _reference_modality(array: np.ndarray, header: Dataset, frame: int) -> np.ndarray:
    item = _functional_group_item(header, frame, "PixelValueTransformationSequence")
    source = item if item is not None else header
    slope = float(source.get("RescaleSlope", 1) or 1)
    intercept = float(source.get("RescaleIntercept", 0) or 0)
    values = array.astype(np.float64) * slope + intercept
    return values if array.dtype.kind == "f" else np.trunc(values)


def _reference_default_window(
    header: Dataset, frame: int, values: np.ndarray
) -> tuple[float, float]:
    voi = _functional_group_item(header, frame, "FrameVOILUTSequence") or header
    if voi.get("WindowCenter") not in (None, ""):
        return _first(voi.WindowCenter), _first(voi.WindowWidth)
    low, high = float(values.min()), float(values.max())
    return (low + high + 1) / 2, high - low + 1


# What cannot be shown is said in one sentence; nothing else escapes.


def _one_sentence(message: str) -> bool:
    return message.endswith(".") and len(re.findall(r"[.!?](\s|$)", message)) == 1


@pytest.mark.parametrize("name", files_of(UNSUPPORTED))
def test_undecodable_syntaxes_name_the_transfer_syntax(corpus: Path, name: str) -> None:
    with open_image(_path(name)) as image:
        syntax = image.layout.transfer_syntax_uid
        with pytest.raises(DecodeError) as raised:
            image.decode_frame(0)
    assert syntax in str(raised.value)
    assert "no installed decoder" in str(raised.value)


@pytest.mark.parametrize("name", files_of(NO_IMAGE))
def test_files_without_an_image_say_so(corpus: Path, name: str) -> None:
    with pytest.raises(DecodeError) as raised:
        render_file(_path(name))
    assert _one_sentence(str(raised.value)), str(raised.value)


@pytest.mark.parametrize("name", files_of(DAMAGED))
def test_damaged_files_raise_decode_error_or_render(corpus: Path, name: str) -> None:
    try:
        pixels = render_file(_path(name))
    except DecodeError as exc:
        assert _one_sentence(str(exc)), str(exc)
        return
    assert pixels.dtype == np.uint8 and pixels.size > 0


def test_every_frame_of_every_file_renders_or_raises_decode_error(corpus: Path) -> None:
    """Whatever a file holds, the renderer answers with pixels or a DecodeError."""
    for name in CORPUS_FILES:
        try:
            with open_image(_path(name)) as image:
                last = image.number_of_frames - 1
                for frame in sorted({0, last}):
                    assert prepare_frame(image, frame).render().dtype == np.uint8
        except DecodeError as exc:
            assert str(exc).endswith("."), f"{name}: {exc}"


@pytest.mark.parametrize("name", files_of(OWN))
def test_one_bit_rle_segmentation_decodes(corpus: Path, name: str) -> None:
    with open_image(_path(name)) as image:
        for frame in range(image.number_of_frames):
            pixels = image.decode_frame(frame).pixels
            assert set(np.unique(pixels)) == {0, 1}
            # 510 × 510 is no multiple of 8: a frame off by a bit would smear the mask.
            assert 0.05 < pixels.mean() < 0.3
