"""Which images may carry text burned into their pixels (a name, a date, an ID).

Tags cannot clean pixels, so such images must not pass silently: an exporter leaves them
out unless asked to include them, or blacks out rectangles given by a rule.

An image is flagged when:
- Burned In Annotation (0028,0301) is YES, whatever its kind; or
- it is of a kind that commonly has text drawn in by the device: modality US, SC, OT or
  XC, any Secondary Capture SOP class, or an Image Type that says it is a screen save or
  a slide label. For these kinds Burned In Annotation = NO is not trusted: it is type 3,
  written by default by many devices and capture tools without looking at the pixels, so
  "NO" there only makes the reason's wording different.
"""

from pydicom.dataset import Dataset

from app.core.dicom_values import to_text

TEXT_PRONE_MODALITIES = frozenset({"US", "SC", "OT", "XC"})
# Secondary Capture Image Storage and its multi-frame kinds all start with this.
_SECONDARY_CAPTURE_ROOT = "1.2.840.10008.5.1.4.1.1.7"
_TEXT_PRONE_IMAGE_TYPES = frozenset({"SCREEN SAVE", "SCREEN", "LABEL"})


def _image_types(ds: Dataset) -> set[str]:
    try:
        value = ds.get("ImageType")
    except Exception:  # A damaged value says nothing either way.
        return set()
    if value is None:
        return set()
    values = [value] if isinstance(value, str | bytes) else list(value)
    return {to_text(v).upper() for v in values}


def burned_in_reason(ds: Dataset) -> str | None:
    """Why ``ds`` may show burned-in text, in a short phrase without any identifier; None
    when nothing suggests it (images without pixel data included)."""
    if not any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        return None
    marked = to_text(ds.get("BurnedInAnnotation", "")).upper()
    if marked == "YES":
        return "it is marked as having burned-in annotation"
    modality = to_text(ds.get("Modality", "")).upper()
    sop_class = to_text(ds.get("SOPClassUID", ""))
    kind = None
    if sop_class == _SECONDARY_CAPTURE_ROOT or sop_class.startswith(
            _SECONDARY_CAPTURE_ROOT + "."):
        kind = "a secondary capture"
    elif modality in TEXT_PRONE_MODALITIES:
        kind = f"a {modality} image"
    elif _image_types(ds) & _TEXT_PRONE_IMAGE_TYPES:
        kind = "a screen capture or label image"
    if kind is None:
        return None
    if marked == "NO":
        return f"it is {kind}, a kind that often has text drawn in (even though marked NO)"
    return f"it is {kind}, a kind that often has text drawn in"
