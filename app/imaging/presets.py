"""Window presets as data, and the list of windows the viewer offers for a frame.

CT presets are in Hounsfield units, as radiologists set them. The list offered for a frame
is: the file's own windows and VOI LUTs (with their explanations), min-max, then the
presets for its modality (``window_choices``).
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from app.imaging.luts import MIN_MAX, LookupTable, Voi, Window


@dataclass(frozen=True)
class Preset:
    """A named window for one modality."""

    name: str
    label: str
    center: float
    width: float

    @property
    def window(self) -> Window:
        """The preset as a linear window."""
        return Window(self.center, self.width, "LINEAR", self.label)


PRESETS: dict[str, tuple[Preset, ...]] = {
    "CT": (
        Preset("brain", "Brain", 40, 80),
        Preset("subdural", "Subdural", 75, 215),
        Preset("stroke", "Stroke", 40, 40),
        Preset("lung", "Lung", -600, 1500),
        Preset("mediastinum", "Mediastinum", 50, 350),
        Preset("abdomen", "Abdomen", 40, 400),
        Preset("liver", "Liver", 60, 160),
        Preset("bone", "Bone", 400, 1800),
    ),
}


def presets_for(modality: str) -> tuple[Preset, ...]:
    """The presets that make sense for ``modality`` (e.g. ``CT``); empty for the others."""
    return PRESETS.get(modality.strip().upper(), ())


def find_preset(name: str) -> Preset | None:
    """The preset called ``name`` (case-insensitive), whatever its modality."""
    wanted = name.strip().lower()
    for presets in PRESETS.values():
        for preset in presets:
            if preset.name == wanted:
                return preset
    return None


def preset_names() -> list[str]:
    """Every preset name, for help texts and error messages."""
    return [preset.name for presets in PRESETS.values() for preset in presets]


ChoiceKind = Literal["file-window", "file-lut", "min-max", "preset"]
# Number keys 1-8 pick the first eight choices, in menu order.
CHOICE_KEYS = 8


@dataclass(frozen=True)
class WindowChoice:
    """One entry of the viewer's Window menu, in the order the menu lists them.

    ``label`` is what the menu shows; ``explanation`` one sentence for a tooltip or status
    line; ``voi`` what to render with (``ViewportState.with_voi``); ``key`` the number key
    (1-8) that picks it, None for choices past the eighth.
    """

    kind: ChoiceKind
    label: str
    explanation: str
    voi: Voi
    key: int | None = None


def window_choices(
    modality: str,
    windows: Sequence[Window] = (),
    voi_luts: Sequence[LookupTable] = (),
) -> list[WindowChoice]:
    """The Window menu for an image of ``modality`` with its own ``windows`` (Window
    Center/Width pairs) and VOI LUTs, in order:

    1. the file's windows, then its VOI LUTs, each named by its explanation, else
       "Window 1", "Window 2"... (numbered across both);
    2. min-max;
    3. the presets of that modality only: the Hounsfield presets for CT, none for MR,
       US, XA, CR, DX, PT and the rest, where HU values mean nothing.

    The first eight carry the number keys 1-8. Invert is not a window; it toggles the
    polarity of whichever window is in use.
    """
    choices: list[WindowChoice] = []
    number = 0
    for window in windows:
        number += 1
        choices.append(
            WindowChoice(
                "file-window",
                window.explanation.strip() or f"Window {number}",
                f"Window {number} stored in the file: centre {window.center:g}, "
                f"width {window.width:g}.",
                window,
            )
        )
    for lut in voi_luts:
        number += 1
        choices.append(
            WindowChoice(
                "file-lut",
                lut.explanation.strip() or f"Window {number}",
                f"VOI lookup table stored in the file ({len(lut.data)} entries).",
                lut,
            )
        )
    choices.append(
        WindowChoice(
            "min-max",
            "Min-max",
            "Spans the darkest to the brightest value in the image.",
            MIN_MAX,
        )
    )
    for preset in presets_for(modality):
        choices.append(
            WindowChoice(
                "preset",
                preset.label,
                f"{modality.strip().upper()} preset: centre {preset.center:g}, "
                f"width {preset.width:g}.",
                preset.window,
            )
        )
    return [
        replace(choice, key=position) if position <= CHOICE_KEYS else choice
        for position, choice in enumerate(choices, start=1)
    ]
