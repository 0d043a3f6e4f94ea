"""What a send to a PACS would carry now: per study, the images that PACS has not confirmed
yet (and their bytes), and how many it confirmed before. The send dialog says it before
anything leaves, and again after a send broke off."""

from dataclasses import dataclass

from app.library.library import Library


@dataclass(frozen=True)
class SendPlan:
    """Per study (by Study Instance UID): images still to send, their bytes, and images
    the PACS ``destination`` (``AET@HOST:PORT``) has already confirmed."""

    destination: str
    pending_images: dict[str, int]
    pending_bytes: dict[str, int]
    confirmed: dict[str, int]

    @property
    def images(self) -> int:
        """Images still to send, all studies together."""
        return sum(self.pending_images.values())

    @property
    def bytes(self) -> int:
        """Bytes still to send, all studies together."""
        return sum(self.pending_bytes.values())

    @property
    def already(self) -> int:
        """Images of these studies the PACS confirmed before."""
        return sum(self.confirmed.values())


def plan_send(study_uids: list[str], destination: str, library: Library) -> SendPlan:
    """The SendPlan of ``study_uids`` to ``destination`` (unknown studies count nothing)."""
    images: dict[str, int] = {}
    sizes: dict[str, int] = {}
    confirmed: dict[str, int] = {}
    for uid in study_uids:
        pending = library.pending_sends(uid, destination)
        images[uid] = len(pending)
        sizes[uid] = sum(p.size for p in pending)
        confirmed[uid] = library.sent_count(uid, destination)
    return SendPlan(destination, images, sizes, confirmed)
