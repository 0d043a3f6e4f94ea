"""Window presets as data, and the list of windows the viewer offers for a frame.

CT presets are in Hounsfield units, as radiologists set them. The list offered for a frame
is: the file's own windows and VOI LUTs (with their explanations), the presets for its
modality, min-max, and invert.
"""

from dataclasses import dataclass
from typing import Literal

from app.imaging.attributes import GreyAttributes
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


ChoiceKind = Literal["file-window", "file-lut", "preset", "min-max", "invert"]


@dataclass(frozen=True)
class WindowChoice:
    """One entry of the viewer's window menu.

    ``voi`` is what to render with; it is None for ``invert``, which toggles the polarity
    of whatever window is in use instead.
    """

    kind: ChoiceKind
    label: str
    explanation: str
    voi: Voi | None


def window_choices(attributes: GreyAttributes, modality: str) -> list[WindowChoice]:
    """The windows to offer for a frame: the file's own, presets, min-max, then invert."""
    choices: list[WindowChoice] = []
    for number, window in enumerate(attributes.windows, start=1):
        label = window.explanation or f"File window {number}"
        choices.append(
            WindowChoice(
                "file-window",
                label,
                f"Window {number} stored in the file: centre {window.center:g}, "
                f"width {window.width:g}.",
                window,
            )
        )
    for number, lut in enumerate(attributes.voi_luts, start=1):
        choices.append(_lut_choice(number, lut))
    for preset in presets_for(modality):
        choices.append(
            WindowChoice(
                "preset",
                preset.label,
                f"{modality.upper()} preset: centre {preset.center:g}, width {preset.width:g}.",
                preset.window,
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
    choices.append(
        WindowChoice("invert", "Invert", "Swaps black and white in the current window.", None)
    )
    return choices


def _lut_choice(number: int, lut: LookupTable) -> WindowChoice:
    label = lut.explanation or f"File VOI LUT {number}"
    return WindowChoice(
        "file-lut",
        label,
        f"VOI lookup table {number} stored in the file ({len(lut.data)} entries).",
        lut,
    )
