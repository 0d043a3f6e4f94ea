"""Reports open as documents: SR as readable text, PDF as its own bytes."""

from pathlib import Path

from pydicom import dcmread

from app.imaging.documents import document_kind, pdf_bytes, sr_text


def test_sr_becomes_indented_text(corpus: Path) -> None:
    ds = dcmread(corpus / "files/non_image/test-SR.dcm")
    assert document_kind(ds.SOPClassUID) == "sr"
    text = sr_text(ds)
    assert text.splitlines()[0] == "Diagnosis"
    assert "  Text Code: A mass of" in text
    assert "Code: Sample Code 1" in text


def test_pdf_bytes_are_a_pdf(corpus: Path) -> None:
    ds = dcmread(corpus / "files/non_image/sample-pdf.dcm")
    assert document_kind(ds.SOPClassUID) == "pdf"
    data = pdf_bytes(ds)
    assert data.startswith(b"%PDF-") and data.endswith(b"%%EOF")


def test_images_are_not_documents() -> None:
    assert document_kind("1.2.840.10008.5.1.4.1.1.2", "CT") == ""
