"""Blacking out rectangles: exactly the rectangle becomes black, every other stored byte
stays, compressed images are decoded and say so; and the rule file."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_color_lut
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, UltrasoundImageStorage

from app.core.errors import DeidentifyError
from app.deidentify.blackout import (
    BlackoutRule,
    Rectangle,
    black_out,
    load_rules,
    put_rule,
    rule_for,
    save_rules,
)
from app.deidentify.deidentifier import Deidentifier, DeidentifyOptions
from tests.deidentify.helpers import SECRET, reread, written

BANNER = Rectangle(x=2, y=1, width=5, height=3)


def _mask(shape: tuple[int, int], rect: Rectangle) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[rect.y:rect.y + rect.height, rect.x:rect.x + rect.width] = True
    return mask


def _monochrome(frames: int = 3, rows: int = 6, columns: int = 10) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = UltrasoundImageStorage, "1.2.826.0.1.3680043.10.12.1"
    ds.Modality, ds.PatientName, ds.PatientID = "US", "Doe^Jane", "P-1"
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, columns, frames
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = (np.arange(frames * rows * columns, dtype="<u2") + 100).tobytes()
    ds.file_meta = Dataset()  # type: ignore[assignment]
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def test_exactly_the_rectangle_turns_black_in_every_frame() -> None:
    ds = _monochrome()
    before = np.frombuffer(ds.PixelData, "<u2").reshape(3, 6, 10).copy()
    result = black_out(ds, [BANNER])
    after = np.frombuffer(ds.PixelData, "<u2").reshape(3, 6, 10)
    mask = _mask((6, 10), BANNER)
    assert result.rectangles == 1 and result.rewritten is None
    assert (after[:, mask] == 0).all()
    assert (after[:, ~mask] == before[:, ~mask]).all()


def test_rectangles_are_clipped_to_the_image() -> None:
    ds = _monochrome(frames=1)
    result = black_out(ds, [Rectangle(8, 4, 50, 50), Rectangle(20, 20, 3, 3)])
    after = np.frombuffer(ds.PixelData, "<u2").reshape(6, 10)
    assert result.rectangles == 1
    assert (after[4:, 8:] == 0).all() and after[3, 7] != 0
    with pytest.raises(ValueError):
        Rectangle(0, 0, 0, 5)


def test_black_is_the_darkest_value_of_the_photometric_interpretation(corpus: Path) -> None:
    signed = dcmread(corpus / "files/signed/CT_small.dcm")
    black_out(signed, [BANNER])
    assert (signed.pixel_array[_mask((128, 128), BANNER)] == -32768).all()
    inverted = dcmread(corpus / "files/monochrome1/CR-MONO1-10-chest", force=True)
    black_out(inverted, [BANNER])
    inverted.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian  # (ACR-NEMA: no meta)
    assert (inverted.pixel_array[_mask((440, 440), BANNER)] == 1023).all()


def test_colour_by_plane_keeps_every_other_byte(corpus: Path) -> None:
    ds = dcmread(corpus / "files/color/color-pl.dcm")
    before = ds.pixel_array.copy()
    raw_before = bytearray(ds.PixelData)
    black_out(ds, [BANNER])
    after = ds.pixel_array
    mask = _mask((120, 256), BANNER)
    assert (after[mask] == 0).all() and (after[~mask] == before[~mask]).all()
    assert ds.PlanarConfiguration == 1  # stored as it was, only the rectangle changed
    changed = sum(a != b for a, b in zip(raw_before, ds.PixelData, strict=True))
    assert 0 < changed <= BANNER.width * BANNER.height * 3


def test_subsampled_ybr_becomes_rgb(corpus: Path) -> None:
    ds = dcmread(corpus / "files/color/SC_ybr_full_422_uncompressed.dcm")
    result = black_out(ds, [BANNER])
    assert result.rewritten is not None and "YBR_FULL_422" in result.rewritten
    out = reread(written(ds))
    assert out.PhotometricInterpretation == "RGB"
    assert (out.pixel_array[_mask((100, 100), BANNER)] == 0).all()


def test_ybr_full_black_has_neutral_chroma(corpus: Path) -> None:
    ds = dcmread(corpus / "files/color/SC_ybr_full_uncompressed.dcm")
    black_out(ds, [BANNER])
    raw = np.frombuffer(ds.PixelData, "u1").reshape(100, 100, 3)
    assert (raw[_mask((100, 100), BANNER)] == [0, 128, 128]).all()


def test_palette_colour_uses_the_darkest_entry(corpus: Path) -> None:
    ds = dcmread(corpus / "files/palette_color/gdcm-US-ALOKA-16.dcm")
    black_out(ds, [BANNER])
    rgb = apply_color_lut(ds.pixel_array, ds)
    region = rgb[_mask((480, 640), BANNER)]
    assert (region == region[0]).all() and int(region[0].sum()) == int(
        apply_color_lut(np.arange(0, 1 << 16), ds).sum(axis=-1).min())


def test_compressed_images_are_decoded_and_say_so(corpus: Path) -> None:
    ds = dcmread(corpus / "files/jpeg_baseline/orthanc_1.2.840.10008.1.2.4.50.dcm")
    before = ds.pixel_array.copy()
    uid = ds.SOPInstanceUID
    result = black_out(ds, [BANNER])
    assert result.rewritten is not None and "JPEG Baseline" in result.rewritten
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert ds.PhotometricInterpretation == "RGB" and ds.LossyImageCompression == "01"
    assert ds.SOPInstanceUID == uid  # the profile replaces it, consistently, later
    out = reread(written(ds))
    mask = _mask((480, 640), BANNER)
    assert (out.pixel_array[mask] == 0).all()
    # The rest is the decoded image (colour converted to RGB as pydicom does).
    assert np.abs(out.pixel_array[~mask].astype(int) - before[~mask].astype(int)).max() <= 1


def test_big_endian_stays_big_endian(corpus: Path) -> None:
    ds = dcmread(corpus / "files/big_endian/MR_small_bigendian.dcm")
    before = ds.pixel_array.copy()
    result = black_out(ds, [BANNER])
    assert result.rewritten is None
    out = reread(written(ds))
    mask = _mask((64, 64), BANNER)
    assert out.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.2"
    assert (out.pixel_array[mask] == -32768).all()
    assert (out.pixel_array[~mask] == before[~mask]).all()


def test_what_cannot_be_blacked_out_says_why() -> None:
    ds = _monochrome()
    del ds.PixelData
    with pytest.raises(DeidentifyError):
        black_out(ds, [BANNER])
    short = _monochrome()
    short.PixelData = short.PixelData[:10]
    with pytest.raises(DeidentifyError):
        black_out(short, [BANNER])


def test_rules_are_saved_one_per_modality_and_size(tmp_path: Path) -> None:
    path = tmp_path / "home" / "blackout-rules.json"
    assert load_rules(path) == []
    us = BlackoutRule("us", 6, 10, (BANNER,))
    put_rule(path, us)
    put_rule(path, BlackoutRule("US", 480, 640, (Rectangle(0, 0, 640, 40),)))
    replaced = BlackoutRule("US", 6, 10, (Rectangle(0, 0, 10, 1), BANNER))
    put_rule(path, replaced)
    rules = load_rules(path)
    assert len(rules) == 2 and rule_for(_monochrome(), rules) == replaced
    assert rule_for(_monochrome(rows=7), rules) is None
    assert json.loads(path.read_text())["version"] == 1
    save_rules(path, [])
    assert load_rules(path) == []


@pytest.mark.parametrize("text", ["{", '{"version": 2, "rules": []}',
                                  '{"version": 1, "rules": [{"modality": "US"}]}',
                                  '{"version": 1, "rules": [{"modality": "US", "rows": 1, '
                                  '"columns": 1, "rectangles": [[0, 0, -1, 1]]}]}'])
def test_a_damaged_rule_file_is_reported(tmp_path: Path, text: str) -> None:
    path = tmp_path / "blackout-rules.json"
    path.write_text(text)
    with pytest.raises(DeidentifyError, match="damaged"):
        load_rules(path)


def test_a_rule_lets_a_flagged_image_through_blacked_out() -> None:
    ds = _monochrome()
    original = copy.deepcopy(ds)
    rule = BlackoutRule("US", 6, 10, (BANNER,))
    transform = Deidentifier(SECRET, DeidentifyOptions(blackout_rules=(rule,)))
    out = transform(ds)
    assert out is not None
    assert written(ds) == written(original)  # the given dataset is untouched
    pixels = np.frombuffer(out.PixelData, "<u2").reshape(3, 6, 10)
    assert (pixels[:, _mask((6, 10), BANNER)] == 0).all()
    (note,) = transform.notes
    assert note.kind == "blacked-out" and "US 10x6" in note.message
