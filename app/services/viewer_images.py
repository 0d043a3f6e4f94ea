"""The images of a study's measurements when their files are not on disk (inside an ISO
or a ZIP file), for the Measurements list, without Qt.

:class:`ViewerImages` is an ``ImageSource`` (``annotation_values``) that answers from what
the viewer has already read: a frame in the viewer's cache and the header the drawing
session read for its values. An image it does not have yet is asked for once through
``wanted`` (the GUI reads it with :func:`read_measured_image` on the viewer's loader
thread, which holds the medium open) and the call raises :class:`ImageNotReadYet`; the
list shows "Reading…" for that row and measures it again when ``arrived`` fires.
"""

from collections.abc import Callable

from pydicom.dataset import Dataset

from app.core.errors import LibraryError, LightboxError
from app.core.models import InstanceRef
from app.core.observable import Event
from app.imaging.render import GreyFrame, PreparedFrame
from app.services.annotation_values import ImageNotReadYet, Values
from app.services.viewing import MediumReader

NOT_ON_DISC = "The image of this measurement is not on this disc."

# What the viewer has: the header of an image (None: not read yet), the decoded frame of
# an image (None: not in the frame cache).
KnownHeader = Callable[[str], Dataset | None]
KnownFrame = Callable[[InstanceRef, int], PreparedFrame | None]
# The viewer's instance with this SOP Instance UID (None: not on the medium), looked up
# when asked: the list of a disc without a directory grows as its files are identified.
FindInstance = Callable[[str], InstanceRef | None]


def values_of(frame: PreparedFrame) -> Values:
    """The modality values of a prepared frame: a grey frame has them, colour has none."""
    return frame if isinstance(frame, GreyFrame) else None


def read_measured_image(reader: MediumReader, path: str, frame: int) -> tuple[Dataset, Values]:
    """The header and the modality values of frame ``frame`` of the file at ``path``,
    read through the viewer's medium reader (run it on the loader thread). Raises
    DecodeError or MediaError with one sentence when the file cannot be read."""
    header = reader.dataset(path)
    return header, values_of(reader.load_frame(path, frame).frame)


class ViewerImages:
    """An ``ImageSource`` over the study open in the viewer; see the module docstring.

    ``find`` gives the viewer's instance of a SOP Instance UID (its path on the medium);
    ``known_header`` and ``known_frame`` answer from what is already read.
    ``wanted`` fires with (instance, frame) for each image to read, once;
    ``arrived`` fires after ``supply`` or ``fail`` (the list then measures again).
    """

    def __init__(self, find: FindInstance,
                 known_header: KnownHeader | None = None,
                 known_frame: KnownFrame | None = None) -> None:
        self._find = find
        self._known_header = known_header
        self._known_frame = known_frame
        self.wanted: Event[tuple[InstanceRef, int]] = Event()
        self.arrived: Event[tuple[str, int]] = Event()
        self._ready: dict[tuple[str, int], tuple[Dataset, Values]] = {}
        self._failed: dict[tuple[str, int], str] = {}
        self._asked: set[tuple[str, int]] = set()

    def __call__(self, sop_instance_uid: str, frame: int) -> tuple[Dataset, Values]:
        key = (sop_instance_uid, frame)
        ready = self._ready.get(key)
        if ready is not None:
            return ready
        if key in self._failed:
            raise LightboxError(self._failed[key])
        instance = self._find(sop_instance_uid)
        if instance is None:
            raise LibraryError(NOT_ON_DISC)
        header = self._known_header(sop_instance_uid) if self._known_header else None
        loaded = self._known_frame(instance, frame) if self._known_frame else None
        if header is not None and len(header) and loaded is not None:
            self._ready[key] = (header, values_of(loaded))
            return self._ready[key]
        if key not in self._asked:
            self._asked.add(key)
            self.wanted.emit((instance, frame))
        raise ImageNotReadYet("Reading the image of this measurement...")

    def supply(self, sop_instance_uid: str, frame: int, header: Dataset,
               values: Values) -> None:
        """The image asked for by ``wanted`` has been read."""
        self._ready[(sop_instance_uid, frame)] = (header, values)
        self.arrived.emit((sop_instance_uid, frame))

    def fail(self, sop_instance_uid: str, frame: int, sentence: str) -> None:
        """The image asked for could not be read: its row says ``sentence``."""
        self._failed[(sop_instance_uid, frame)] = sentence
        self.arrived.emit((sop_instance_uid, frame))
