"""Process set-up the application layer owns, so front ends need not reach into media."""


def configure_dicom_reading() -> None:
    """Set pydicom up for media from the wild (see ``app.media.pydicom_setup``).

    Call it once before reading DICOM files; it imports pydicom, so commands that read no
    DICOM (``--version``, ``account list``...) do not pay for it.
    """
    from app.media.pydicom_setup import configure_pydicom

    configure_pydicom()
