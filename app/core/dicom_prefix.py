"""Whether a file is DICOM at all, from its first bytes: the one test that the disc scan
(app.media.headers) and the decoder (app.imaging.decode) share, so the viewer calls a file
"not DICOM" exactly when ``lightbox scan`` does."""

import struct

# The 128-byte preamble and "DICM".
PREFIX_BYTES = 132


def looks_like_dicom(prefix: bytes) -> bool:
    """True when the first 132 bytes are a DICOM file: the preamble, or a bare dataset.

    Bare datasets (ACR-NEMA style, no preamble) are accepted when they start with a group
    0x0002 or 0x0008 element in either byte order, as every such file in the wild does.
    Everything else (autorun files, viewers, HTML, JPEG) is rejected without parsing.
    """
    if len(prefix) >= 132 and prefix[128:132] == b"DICM":
        return True
    if len(prefix) < 8:
        return False
    little_group, little_elem = struct.unpack_from("<HH", prefix)
    big_group, big_elem = struct.unpack_from(">HH", prefix)
    plausible_little = little_group in (0x0002, 0x0008) and little_elem < 0x0200
    plausible_big = big_group in (0x0002, 0x0008) and big_elem < 0x0200
    return plausible_little or plausible_big
