"""What each corpus file is expected to do, and the references the renderer is held to.

Every file under ``corpus/files`` is listed with the reference it is checked against:

- ``DCMTK``: dcmtk decodes it (``dcmj2pnm``; ``dcml2pnm`` for JPEG-LS, which
  ``dcmj2pnm`` lacks): our 8-bit pixels must match its, within one grey level.
- ``PYDICOM``: dcmtk cannot decode it (JPEG 2000, HTJ2K, odd JPEG-LS, float pixels,
  segmented palettes, a header without Pixel Representation): pydicom's own decoded array
  through the same arithmetic, written out again here, is the reference.
- ``CODEC``: JPEG XL, which neither dcmtk 3.6.7 nor pydicom 3.0 decodes: the codec's
  own decode of the same codestream (imagecodecs) is the reference
  (tests/imaging/test_jxl.py).
- ``OWN``: neither decodes it (one-bit RLE segmentation); checked for plausibility only.
- ``UNSUPPORTED``: no installed decoder reads its transfer syntax: DecodeError naming it.
- ``NO_IMAGE``: no pixel data (reports, plans, waveforms): DecodeError.
- ``DAMAGED``: broken on purpose: DecodeError in one sentence, or a rendering.
"""

import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

DCMTK = "dcmtk"
PYDICOM = "pydicom"
OWN = "own"
CODEC = "codec"
UNSUPPORTED = "unsupported"
NO_IMAGE = "no-image"
DAMAGED = "damaged"

CORPUS_FILES = {
    "big_endian/ExplVR_BigEnd.dcm": DCMTK,
    "big_endian/MR_small_bigendian.dcm": DCMTK,
    "big_endian/SC_rgb_small_odd_big_endian.dcm": DCMTK,
    "big_endian/emri_small_big_endian.dcm": DCMTK,
    "broken/1403-OB.dcm": DCMTK,
    # dcmtk renders these two as 2-4 GB of flat grey; we refuse (the data is missing).
    "broken/2026-05-26-oob-monochrome-46341.dcm": DAMAGED,
    "broken/2026-05-26-oob-monochrome-65535.dcm": DAMAGED,
    "broken/3gb-bulk-data-truncated": DAMAGED,
    # dcmtk reads this one; pydicom cannot parse its header, so neither can we.
    "broken/GH177_D_CLUNIE_CT1_IVRLE_BigEndian_undefined_length.dcm": DAMAGED,
    "broken/GH340.dcm": DAMAGED,
    "broken/Issue195.dcm": DAMAGED,
    "broken/Issue196.dcm": DAMAGED,
    "broken/JPEG2000-embedded-sequence-delimiter.dcm": DAMAGED,
    "broken/MR_truncated.dcm": DAMAGED,
    "broken/SC_rgb_small_odd.dcm": DCMTK,
    "broken/UN_sequence.dcm": DAMAGED,
    "broken/badVR.dcm": DCMTK,
    "broken/bad_sequence.dcm": DCMTK,
    "broken/dwv-test_no-number-rows.dcm": DAMAGED,
    "broken/emri_small_jpeg_2k_lossless_too_short.dcm": DAMAGED,
    "broken/explicit_VR-UN.dcm": DAMAGED,
    "broken/meta_missing_tsyntax.dcm": DAMAGED,
    "broken/no_preamble_dicm_in_data": DAMAGED,
    "charset/chrArab.dcm": DCMTK,
    "charset/chrGreek.dcm": DCMTK,
    "charset/chrH31.dcm": DCMTK,
    "charset/chrJapMulti.dcm": NO_IMAGE,
    "charset/chrKoreanMulti.dcm": NO_IMAGE,
    "charset/chrRuss.dcm": DCMTK,
    "charset/chrX1.dcm": DCMTK,
    "charset/chrX2.dcm": DCMTK,
    "color/ColorTestMalaterre.dcm": DCMTK,
    "color/SC_ybr_full_422_uncompressed.dcm": DCMTK,
    "color/SC_ybr_full_uncompressed.dcm": DCMTK,
    "color/YBR_FULL-RLE.dcm": DCMTK,
    "color/color-pl.dcm": DCMTK,
    "deflate/Issue1097_FailToOpenDeflatedFileWithSQ.dcm": NO_IMAGE,
    "deflate/image_dfl.dcm": DCMTK,
    "deflate/liver_deflate.dcm": UNSUPPORTED,
    "deflate/orthanc_1.2.840.10008.1.2.1.99.dcm": DCMTK,
    "deflate/wave_dfl": NO_IMAGE,
    "implicit_vr/MR_small_implicit.dcm": DCMTK,
    "jpeg2000/693_J2KI.dcm": PYDICOM,
    "jpeg2000/GDCMJ2K_TextGBR.dcm": PYDICOM,
    "jpeg2000/HTJ2K_08_RGB.dcm": PYDICOM,
    "jpeg2000/J2K_pixelrep_mismatch.dcm": PYDICOM,
    "jpeg2000/JPEG2000.dcm": PYDICOM,
    "jpeg2000/MR_small_jp2klossless.dcm": PYDICOM,
    "jpeg2000/US1_J2KI.dcm": PYDICOM,
    "jpeg_baseline/JPEGwithIcon.dcm": DCMTK,
    "jpeg_baseline/SC_jpeg_no_color_transform.dcm": DCMTK,
    "jpeg_baseline/SC_jpeg_no_color_transform_2.dcm": DCMTK,
    "jpeg_baseline/SC_rgb_dcmtk_+eb+cy+np.dcm": DCMTK,
    "jpeg_baseline/SC_rgb_jpeg_dcmtk.dcm": DCMTK,
    "jpeg_baseline/SC_rgb_small_odd_jpeg.dcm": DCMTK,
    "jpeg_baseline/orthanc_1.2.840.10008.1.2.4.50.dcm": DCMTK,
    "jpeg_extended/JPEG-lossy.dcm": DCMTK,
    "jpeg_extended/JPGExtended.dcm": DCMTK,
    "jpeg_lossless/CT0012.fragmented_no_bot_jpeg_lossless.57.dcm": DCMTK,
    "jpeg_lossless/JPGLosslessP14SV1_1s_1f_8b.dcm": DCMTK,
    "jpeg_lossless/MR-JPEGLosslessSV1.dcm": DCMTK,
    "jpeg_lossless/SC_rgb_jpeg_gdcm.dcm": DCMTK,
    "jpeg_ls/CT1_UNC.fragmented_bot_jpeg_ls.80.dcm": DCMTK,
    "jpeg_ls/JLSL_08_07_0_1F.dcm": PYDICOM,
    "jpeg_ls/JLSL_16_15_1_1F.dcm": DCMTK,
    "jpeg_ls/JPEGLSNearLossless_08.dcm": DCMTK,
    "jpeg_ls/JPEGLSNearLossless_16.dcm": DCMTK,
    "jpeg_ls/MR_small_jpeg_ls_lossless.dcm": DCMTK,
    "jpeg_ls/SC_rgb_jls_lossy_line.dcm": DCMTK,
    "jpeg_ls/SC_rgb_jls_lossy_sample.dcm": DCMTK,
    "jpeg_xl/will-jxl.dcm": CODEC,
    "monochrome1/CR-MONO1-10-chest": DCMTK,
    "monochrome1/CR-ModalitySequenceLUT.dcm": DCMTK,
    "monochrome1/Monochrome1-Jpeg.dcm": DCMTK,
    "monochrome1/RG3_J2KI.dcm": PYDICOM,
    "multiframe/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm": DCMTK,
    "multiframe/IM00001.fragmented_no_bot_jpeg_baseline.50.dcm": DCMTK,
    "multiframe/LenaTwiceWithFragments.dcm": DCMTK,
    "multiframe/NM-MONO2-16-13x-heart": DCMTK,
    "multiframe/emri_small.dcm": DCMTK,
    "multiframe/emri_small_jpeg_2k_lossless.dcm": PYDICOM,
    "multiframe/examples_ybr_color.dcm": DCMTK,
    "multiframe/multiframe.dcm": DCMTK,
    "multiframe/rtdose.dcm": DCMTK,
    "no_file_meta/ExplVR_BigEndNoMeta.dcm": NO_IMAGE,
    "no_file_meta/ExplVR_LitEndNoMeta.dcm": NO_IMAGE,
    "no_file_meta/no_meta.dcm": NO_IMAGE,
    "no_file_meta/orthanc_1.2.840.10008.1.2.dcm": DCMTK,
    "non_image/liver_nonbyte_aligned_rle.dcm": OWN,
    "non_image/rtplan.dcm": NO_IMAGE,
    "non_image/rtstruct.dcm": NO_IMAGE,
    "non_image/sample-pdf.dcm": NO_IMAGE,
    "non_image/test-SR.dcm": NO_IMAGE,
    "overlay/examples_overlay.dcm": DCMTK,
    "palette_color/OBXXXX1A_rle.dcm": DCMTK,
    "palette_color/OT-PAL-8-face.dcm": DCMTK,
    "palette_color/TestPattern_Palette_16.dcm": DCMTK,
    "palette_color/US-PAL-8-10x-echo": DCMTK,
    "palette_color/gdcm-US-ALOKA-16.dcm": PYDICOM,
    "palette_color/jpeg-ls-Palette.dcm": DCMTK,
    "rle/2023-04-21-RLEPlanarConfigurationYBR_FULL.dcm": DCMTK,
    "rle/D_CLUNIE_CT1_RLE_FRAGS.dcm": DCMTK,
    "rle/MR_small_RLE.dcm": DCMTK,
    "rle/SC_rgb_rle_16bit_2frame.dcm": DCMTK,
    "rle/SC_rgb_rle_32bit.dcm": DCMTK,
    **{f"series_mr_wrist/MR{n:02d}.dcm": DCMTK for n in range(1, 17)},
    "signed/12bitSigned_0x0F0F.dcm": DCMTK,
    "signed/CT_small.dcm": DCMTK,
    "signed/parametric_map_float.dcm": PYDICOM,
    "signed/test16signed.dcm": DCMTK,
    "voi_lut/MultiframeWindowing.dcm": PYDICOM,
    "voi_lut/leadtools-8BitsJpegLossyGrayScale.dcm": DCMTK,
    "voi_lut/mlut_18.dcm": DCMTK,
    "voi_lut/vlut_04.dcm": DCMTK,
}

JPEG_LS_SYNTAXES = ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81")
JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"


def files_of(kind: str) -> list[str]:
    """Corpus paths (relative to ``files/``) expected to behave as ``kind``."""
    return sorted(name for name, expected in CORPUS_FILES.items() if expected == kind)


def frame_to_compare(name: str, frames: int) -> int:
    """The frame compared for a file: the middle one, to prove frames are found.

    dcmtk 3.6.7 cannot find frames past the first in fragmented pixel data without a
    Basic Offset Table ("Invalid DICOM image"), so those files compare frame 0.
    """
    return 0 if "fragmented_no_bot" in name else frames // 2


def dcmtk_render(
    program: str, path: Path, frame: int, options: list[str], out_dir: Path
) -> np.ndarray:
    """dcmtk's 8-bit rendering of ``frame`` (from 0) of ``path``, read back as an array.

    Raw PGM/PPM output (``+op``) avoids the interlacing and tIME chunk of its PNG.
    """
    out = out_dir / f"{path.name}.{frame}.pnm"
    result = subprocess.run(
        [program, "+F", str(frame + 1), *options, "+op", str(path), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{program} failed on {path.name}: {result.stderr.strip()}"
    with Image.open(out) as image:
        return np.asarray(image)


def dcmtk_linear_window(
    values: np.ndarray, center: float, width: float, inverse: bool
) -> np.ndarray:
    """dcmtk's linear VOI window, written out per pixel as the reference arithmetic."""
    low, high = (255.0, 0.0) if inverse else (0.0, 255.0)
    width_1 = width - 1.0
    x = values.astype(np.float64)
    if width_1 == 0:
        inside = np.zeros_like(x)  # A one-wide window is a threshold: the borders decide.
    else:
        offset = high - ((center - 0.5) / width_1 + 0.5) * (high - low)
        inside = offset + x * (high - low) / width_1
    y = np.where(
        x <= center - 0.5 - width_1 / 2, low, np.where(x > center - 0.5 + width_1 / 2, high, inside)
    )
    return np.trunc(y).astype(np.uint8)
