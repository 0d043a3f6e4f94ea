"""pydicom settings for reading media from the wild."""

import logging
import warnings

from pydicom import config


def configure_pydicom() -> None:
    """Read damaged values without complaint; problems are reported in our own words.

    pydicom warns (on stderr) about every invalid value it meets, and outside discs are
    full of them: a patient must not see a page of warnings for a disc that works. Its
    messages quote element values, names included, so they must never reach our logs.
    """
    config.settings.reading_validation_mode = config.IGNORE
    warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom(\.|$)")
    logging.getLogger("pydicom").propagate = False
