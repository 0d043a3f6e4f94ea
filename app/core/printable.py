"""Text from a medium made safe to show.

Names, descriptions and File IDs on a disc are written by whoever made the disc. Printed
raw, an ESC sequence can clear the terminal or forge a line ("0 problems"), CR can
overwrite what was printed, and a bidirectional override (U+202E) can reorder a name on
screen. :func:`printable` escapes such characters visibly (``\\x1b``, ``\\u202e``) for the
terminal; :func:`displayable` drops them for the GUI, where an escape would only confuse.
"""

import re

# C0 controls, DEL, C1 controls; the bidi embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069); the marks that reorder too (U+200E, U+200F, U+061C).
_BIDI_AND_C1 = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_UNSAFE = re.compile(f"[\x00-\x1f{_BIDI_AND_C1}]")
# JSON already escapes C0 controls in strings, and its own line breaks must stay.
_JSON_UNSAFE = re.compile(f"[{_BIDI_AND_C1}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character and bidi control shown as an escape."""
    return _UNSAFE.sub(_escape, text)


def displayable(text: str) -> str:
    """``text`` without control characters and bidi controls (for on-screen labels)."""
    return _UNSAFE.sub("", text)


def json_safe(encoded: str) -> str:
    """JSON text with the characters :func:`printable` escapes written as ``\\uXXXX``.

    ``json.dumps(..., ensure_ascii=False)`` escapes C0 controls but leaves DEL, C1 controls
    and bidi overrides raw; those can only occur inside strings, where ``\\uXXXX`` means
    the same character, so the parsed values are unchanged.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)
