"""pydicom settings for reading media from the wild."""

import logging
import warnings
from typing import Any

from pydicom import config
from pydicom.hooks import hooks, raw_element_vr
from pydicom.values import converters


def configure_pydicom() -> None:
    """Read damaged values without complaint; problems are reported in our own words.

    pydicom warns (on stderr) about every invalid value it meets, and outside discs are
    full of them: a patient must not see a page of warnings for a disc that works. Its
    messages quote element values, names included, so they must never reach our logs.
    """
    config.settings.reading_validation_mode = config.IGNORE
    warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom(\.|$)")
    logging.getLogger("pydicom").propagate = False
    hooks.register_callback("raw_element_vr", _known_vr)


def _known_vr(raw: Any, data: dict[str, Any], **kwargs: Any) -> None:
    """pydicom's VR lookup, with an unknown VR ("ZZ", bytes that are no VR) read as UN.

    pydicom reads such an element and raises NotImplementedError only when its value is
    used (listing the tags, writing the file); PS3.5 6.2.2 says to treat it as UN: bytes.
    """
    raw_element_vr(raw, data, **kwargs)
    if data.get("VR") not in converters:
        data["VR"] = "UN"
