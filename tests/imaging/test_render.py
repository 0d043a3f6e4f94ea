"""The render entry point: CLI rendering, polarity, colour, overlays, the fast path."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom import dcmread

import app.imaging.render as render_module
from app.core.errors import RenderError
from app.imaging.decode import open_image
from app.imaging.luts import MIN_MAX, Window
from app.imaging.presets import find_preset
from app.imaging.render import (
    ColourFrame,
    GreyFrame,
    choose_voi,
    prepare_frame,
    render_file,
    render_file_to_png,
)
from tests.conftest import tool
from tests.imaging.reference import dcmtk_render

FILES = Path("files")


def _grey(path: Path, frame: int = 0) -> GreyFrame:
    with open_image(path) as image:
        prepared = prepare_frame(image, frame)
    assert isinstance(prepared, GreyFrame)
    return prepared


def test_render_to_png_writes_what_the_viewer_draws(corpus: Path, tmp_path: Path) -> None:
    path = corpus / FILES / "signed/CT_small.dcm"
    out = tmp_path / "ct.png"
    size = render_file_to_png(path, out, window=(40, 400), rotate=90, flip="h", zoom=2.0)
    assert size == (256, 256)
    with Image.open(out) as png:
        assert png.mode == "L" and png.size == (256, 256)
        written = np.asarray(png)
    drawn = _grey(path).render(Window(40, 400))
    expected = np.repeat(np.repeat(drawn.T, 2, axis=0), 2, axis=1)  # rot90 cw + flip h = T
    np.testing.assert_array_equal(written, expected)


def test_render_to_png_colour_multi_frame(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "us.png"
    size = render_file_to_png(corpus / FILES / "multiframe/examples_ybr_color.dcm", out, frame=29)
    with Image.open(out) as png:
        assert png.mode == "RGB" and png.size == size == (320, 240)


def test_command_line_window_choices(corpus: Path) -> None:
    assert choose_voi() is None
    assert choose_voi(window=(40, 80)) == Window(40, 80)
    assert choose_voi(preset="LUNG") == Window(-600, 1500, "LINEAR", "Lung")
    assert choose_voi(minmax=True) is MIN_MAX
    with pytest.raises(RenderError, match="only one"):
        choose_voi(window=(40, 80), minmax=True)
    with pytest.raises(RenderError, match="brain, subdural"):
        choose_voi(preset="kidney")
    with pytest.raises(RenderError, match="at least 1"):
        choose_voi(window=(40, 0))
    path = corpus / FILES / "signed/CT_small.dcm"
    lung = find_preset("lung")
    assert lung is not None
    np.testing.assert_array_equal(
        render_file(path, preset="lung"), render_file(path, window=(lung.center, lung.width))
    )


def test_monochrome1_is_shown_inverted(corpus: Path) -> None:
    frame = _grey(corpus / FILES / "monochrome1/CR-MONO1-10-chest")
    assert frame.attributes.inverse
    with open_image(corpus / FILES / "monochrome1/CR-MONO1-10-chest") as image:
        stored = image.decode_frame(0).pixels
    shown = frame.render(MIN_MAX)
    assert shown[stored == stored.min()].min() == 255  # Low values are white in MONOCHROME1.
    assert shown[stored == stored.max()].max() == 0
    # The viewer's invert button undoes it.
    assert frame.render(MIN_MAX, invert=True)[stored == stored.min()].max() == 0


def test_presentation_lut_shape_inverse_matches_dcmtk(corpus: Path, tmp_path: Path) -> None:
    program = tool("dcmj2pnm", "dcmtk")
    dataset = dcmread(corpus / FILES / "signed/CT_small.dcm")
    dataset.PresentationLUTShape = "INVERSE"
    path = tmp_path / "inverse.dcm"
    dataset.save_as(path)
    frame = _grey(path)
    assert frame.attributes.inverse
    theirs = dcmtk_render(program, path, 0, ["+Ww", "40", "400"], tmp_path)
    assert np.abs(frame.render(Window(40, 400)).astype(int) - theirs).max() <= 1


@pytest.mark.parametrize(
    "name",
    [
        "palette_color/OBXXXX1A_rle.dcm",
        "palette_color/TestPattern_Palette_16.dcm",  # 16-bit palette entries
        "jpeg_baseline/orthanc_1.2.840.10008.1.2.4.50.dcm",  # YBR_FULL_422 JPEG
        "multiframe/examples_ybr_color.dcm",
        "rle/2023-04-21-RLEPlanarConfigurationYBR_FULL.dcm",  # YBR, planar
    ],
)
def test_palette_and_ybr_colour_match_dcmtk(corpus: Path, name: str, tmp_path: Path) -> None:
    path = corpus / FILES / name
    with open_image(path) as image:
        prepared = prepare_frame(image, 0)
    assert isinstance(prepared, ColourFrame)
    theirs = dcmtk_render(tool("dcmj2pnm", "dcmtk"), path, 0, [], tmp_path)
    assert np.abs(prepared.render().astype(int) - theirs).max() <= 1


def test_overlays_are_burnt_in_and_can_be_hidden(corpus: Path, tmp_path: Path) -> None:
    path = corpus / FILES / "overlay/examples_overlay.dcm"
    frame = _grey(path)
    assert frame.overlay is not None and frame.overlay.sum() == 222
    shown = frame.render()
    assert (shown[frame.overlay] == 255).all()
    hidden = frame.render(overlays=False)
    theirs = dcmtk_render(tool("dcmj2pnm", "dcmtk"), path, 0, ["+Wi", "1", "-O"], tmp_path)
    assert np.abs(hidden.astype(int) - theirs).max() <= 1
    np.testing.assert_array_equal(frame.render(step=3), shown[::3, ::3])


def test_screen_resolution_rendering_takes_every_nth_pixel(corpus: Path) -> None:
    frame = _grey(corpus / FILES / "signed/CT_small.dcm")
    window = Window(40, 400)
    np.testing.assert_array_equal(frame.render(window, step=2), frame.render(window)[::2, ::2])


def test_the_lookup_table_is_the_whole_grey_transform(corpus: Path) -> None:
    path = corpus / FILES / "voi_lut/vlut_04.dcm"  # 8-bit: stored values index the table
    frame = _grey(path)
    with open_image(path) as image:
        stored = image.decode_frame(0).pixels
    table = frame.lut()
    assert table.dtype == np.uint8
    np.testing.assert_array_equal(table[stored], frame.render())


def test_direct_arithmetic_agrees_with_the_lookup_table(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = corpus / FILES / "signed/CT_small.dcm"
    fast = _grey(path)
    monkeypatch.setattr(render_module, "MAX_LUT_ENTRIES", 16)
    slow = _grey(path)
    assert slow.is_direct and not fast.is_direct
    for voi in (None, Window(40, 400), MIN_MAX, Window(40, 400, "SIGMOID")):
        np.testing.assert_array_equal(slow.render(voi), fast.render(voi))
    assert fast.nbytes > 0


def test_signed_frames_render_dark_where_the_stripes_are_negative(corpus: Path) -> None:
    path = corpus / FILES / "signed/12bitSigned_0x0F0F.dcm"
    raw = np.frombuffer(dcmread(path).PixelData, dtype="<u2").reshape(384, 384)
    shown = _grey(path).render()
    assert shown[raw == 0x0F0F].max() < 20 and shown[raw == 0xFFFF].max() < 20


def test_command_line_orientation_and_zoom_are_checked(corpus: Path) -> None:
    path = corpus / FILES / "signed/CT_small.dcm"
    with pytest.raises(RenderError, match="0, 90, 180 or 270"):
        render_file(path, rotate=45)
    with pytest.raises(RenderError, match="zoom factor"):
        render_file(path, zoom=0)
    with pytest.raises(RenderError, match="smaller zoom"):
        render_file(corpus / FILES / "monochrome1/Monochrome1-Jpeg.dcm", zoom=10)
    assert render_file(path, rotate=-90).shape == (128, 128)
