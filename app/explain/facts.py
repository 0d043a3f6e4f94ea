"""The header values a plain-words sentence is built from."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SeriesFacts:
    """What the header says about one series; empty strings where it says nothing.

    ``body_part`` is Body Part Examined, ``contrast_agent`` Contrast/Bolus Agent and
    ``view_position`` View Position, as written in the header; ``images`` the number of
    instances. Of those, ``clips`` are files of more than one frame each (an ultrasound
    loop, an angiogram run; the viewer steps through their frames) and ``clip_frames``
    their frames together.
    """

    modality: str = ""
    body_part: str = ""
    description: str = ""
    protocol_name: str = ""
    contrast_agent: str = ""
    view_position: str = ""
    images: int = 0
    clips: int = 0
    clip_frames: int = 0


@dataclass(frozen=True)
class StudyFacts:
    """What the headers say about one study and its series.

    ``modalities`` is Modalities in Study when known, else it is taken from the series;
    ``date`` is Study Date (YYYYMMDD); ``institution`` Institution Name. ``images``
    overrides the sum of the series' images when the series are not all known.
    """

    description: str = ""
    date: str = ""
    institution: str = ""
    modalities: tuple[str, ...] = ()
    series: tuple[SeriesFacts, ...] = ()
    images: int | None = None

    @property
    def image_count(self) -> int:
        """The number of images in the study."""
        return self.images if self.images is not None else sum(s.images for s in self.series)
