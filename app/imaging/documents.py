"""Objects that are documents, not images: structured reports and encapsulated PDFs.

A structured report is turned into indented plain text a doctor can read; a PDF is
handed back as bytes for the system's PDF viewer.
"""

from pydicom.dataset import Dataset

ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
SR_CLASS_PREFIX = "1.2.840.10008.5.1.4.1.1.88."
MAX_SR_DEPTH = 64
MAX_SR_LINES = 20_000


def document_kind(sop_class_uid: str, modality: str = "") -> str:
    """``pdf``, ``sr`` or ``""`` (an image, or something else) for a SOP class."""
    if sop_class_uid == ENCAPSULATED_PDF:
        return "pdf"
    if sop_class_uid.startswith(SR_CLASS_PREFIX) or modality == "SR":
        return "sr"
    return ""


def pdf_bytes(ds: Dataset) -> bytes:
    """The PDF held by an Encapsulated PDF object (trailing padding removed)."""
    data = bytes(ds.get("EncapsulatedDocument", b"") or b"")
    end = data.rfind(b"%%EOF")
    return data[: end + 5] if end >= 0 else data.rstrip(b"\0")


def _meaning(item: Dataset, keyword: str) -> str:
    codes = item.get(keyword)
    if not codes:
        return ""
    return str(codes[0].get("CodeMeaning", "") or "")


def _value(item: Dataset) -> str:
    kind = str(item.get("ValueType", ""))
    if kind == "TEXT":
        return str(item.get("TextValue", ""))
    if kind == "CODE":
        return _meaning(item, "ConceptCodeSequence")
    if kind == "NUM":
        measured = item.get("MeasuredValueSequence")
        if not measured:
            return ""
        number = measured[0].get("NumericValue", "")
        unit = _meaning(measured[0], "MeasurementUnitsCodeSequence")
        return f"{number} {unit}".strip()
    if kind in ("DATE", "TIME", "DATETIME", "UIDREF", "PNAME"):
        keyword = {
            "DATE": "Date", "TIME": "Time", "DATETIME": "DateTime",
            "UIDREF": "UID", "PNAME": "PersonName",
        }[kind]
        return str(item.get(keyword, ""))
    return ""


def sr_text(ds: Dataset) -> str:
    """The content tree of a structured report as indented lines: "Concept: value"."""
    title = _meaning(ds, "ConceptNameCodeSequence") or "Structured report"
    lines = [title, "=" * len(title)]
    pending: list[tuple[Dataset, int]] = [
        (item, 0) for item in reversed(list(ds.get("ContentSequence", [])))
    ]
    while pending and len(lines) < MAX_SR_LINES:
        item, depth = pending.pop()
        concept = _meaning(item, "ConceptNameCodeSequence")
        value = _value(item)
        text = f"{concept}: {value}" if concept and value else concept or value
        if text:
            lines.append("  " * depth + text)
        if depth < MAX_SR_DEPTH:
            children = list(item.get("ContentSequence", []))
            pending.extend((child, depth + 1) for child in reversed(children))
    return "\n".join(lines)
