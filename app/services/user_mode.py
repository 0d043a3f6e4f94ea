"""Who the window is for: a patient (the simple view, the default) or a doctor (the full
view).

One observable state that every widget follows live, and the rules of what each view
shows, so the widgets hold no rules:

- **patient**: plain sentences about each study and series (app.services.plain_words),
  the simple drawing tools (select/move, length, text, arrow) and the glossary link
  beside the series list;
- **doctor**: the header's own descriptions, every measurement tool (angle, rectangle,
  ellipse, freehand outline too), the DICOM tag browser, the annotations kept on the
  disc (presentation states) and saving drawings as one, the technical lines over the
  image (window values, zoom) and the files' own overlay planes.

Both views keep who the images are of (name, ID, birth date), when, which series and
which image: those matter to a patient as much as to a doctor. The glossary stays in
the Help menu in both.
"""

from __future__ import annotations

from typing import Literal, get_args

from app.core.observable import Event

Mode = Literal["patient", "doctor"]
MODES: tuple[Mode, ...] = get_args(Mode)
PATIENT: Mode = "patient"
DOCTOR: Mode = "doctor"
# A new install, and an install from before the choice existed, start simple: a patient
# with a disc is the user who cannot be expected to find the switch.
DEFAULT_MODE: Mode = PATIENT
# The settings key the GUI stores the choice under.
SETTING_KEY = "view/mode"

# The drawing tools (app.services.annotation_session.TOOLS) a patient gets.
SIMPLE_TOOLS = frozenset({"select", "length", "text", "arrow"})

# What the choice is called in the View menu and in Preferences, and one sentence each.
MODE_NAMES: dict[Mode, str] = {
    PATIENT: "Simple view for patients",
    DOCTOR: "Full view for doctors",
}
MODE_EXPLANATIONS: dict[Mode, str] = {
    PATIENT: "Says in plain words what each set of pictures shows, and keeps only the "
             "simple drawing tools.",
    DOCTOR: "Shows the scanner's own descriptions, every measuring tool, the DICOM tags, "
            "the annotations saved on the disc and the display values over the image.",
}

# Menu items and buttons named in the trade's words, and their names in the simple view
# (the full view keeps the first). The keyboard letter (&) stays the same in both, and a
# name other sentences point to ("File > Accounts and PACS", the "Send to PACS" dialog)
# keeps its words, with what they mean after them.
PLAIN_TEXTS: dict[str, str] = {
    "Open f&ile (ISO, ZIP, DICOMDIR, image)...": "Open f&ile (disc image, ZIP or picture)...",
    "Import ISO or &ZIP file...": "Import disc image or &ZIP file...",
    "Send selected or open to &PACS...":
        "Send selected or open to &PACS (a hospital's picture archive)...",
    "&Accounts and PACS...": "&Accounts and PACS (hospital picture archives)...",
    "Send to &PACS...": "Send to &PACS (a hospital's picture archive)...",
    "Next &series": "Next &set of pictures",
    "Previous s&eries": "Previous s&et of pictures",
    # The import dialog's and the library's column, beside "51 pictures in 3 sets".
    "Images": "Pictures",
    # The import dialog's button ({0}: how many).
    "&Import the {0} images that are there": "&Import the {0} pictures that are there",
    "&Import {0} images": "&Import {0} pictures",
    "&Import the 1 image that is there": "&Import the 1 picture that is there",
    "&Import 1 image": "&Import 1 picture",
    # The import dialog's sentences around the choice of patients and after a cancel.
    "Tick the patients whose images you want to import.":
        "Tick the patients whose pictures you want to import.",
    "The import was cancelled. The images imported so far are stored; import the disc "
    "again to finish.":
        "The import was cancelled. The pictures imported so far are stored; import the "
        "disc again to finish.",
    # The library's Complete column ({0}: how many), its tooltip, and the question before
    # a study is deleted ({3}: how many). The simple view says one picture in the singular.
    "Incomplete: {0} images missing on the disc": "Incomplete: {0} pictures missing on the disc",
    "Incomplete: 1 image missing on the disc": "Incomplete: 1 picture missing on the disc",
    "The disc listed images that were not on it. Ask the clinic for a new copy.":
        "The disc listed pictures that were not on it. Ask the clinic for a new copy.",
    "{0}, {1} {2} ({3} images)": "{0}, {1} {2} ({3} pictures)",
    "{0}, {1} {2} (1 image)": "{0}, {1} {2} (1 picture)",
}


def shown_text(full: str, plain: bool) -> str:
    """The name of a menu item or button in the simple view (``plain``, i.e.
    UserMode.shows_plain_words) or the full view; ``full`` is its full view name."""
    return PLAIN_TEXTS.get(full, full) if plain else full


def mode_from_setting(value: object) -> Mode:
    """The mode stored in the settings; the default when none or an unknown value is."""
    text = str(value).strip().lower() if value is not None else ""
    return DOCTOR if text == DOCTOR else PATIENT if text == PATIENT else DEFAULT_MODE


class UserMode:
    """The patient/doctor switch; views connect to ``changed`` (the new mode) and follow.

    The ``shows_*`` properties are the rules: each names one thing a view may show.
    """

    def __init__(self, mode: Mode = DEFAULT_MODE) -> None:
        if mode not in MODES:
            raise ValueError(f"There is no view called {mode!r}.")
        self.mode: Mode = mode
        self.changed: Event[Mode] = Event()

    def set_mode(self, mode: Mode) -> None:
        """Switch to ``mode``; ``changed`` fires only on a real change."""
        if mode not in MODES:
            raise ValueError(f"There is no view called {mode!r}.")
        if mode != self.mode:
            self.mode = mode
            self.changed.emit(mode)

    @property
    def is_patient(self) -> bool:
        """True in the simple view for patients."""
        return self.mode == PATIENT

    @property
    def shows_plain_words(self) -> bool:
        """Series list, study tree and library say in plain sentences what was scanned."""
        return self.is_patient

    @property
    def shows_glossary_link(self) -> bool:
        """A "what the words mean" link beside the series list (Help has it always)."""
        return self.is_patient

    @property
    def shows_tag_browser(self) -> bool:
        """View > DICOM tags: raw header values, for doctors."""
        return not self.is_patient

    @property
    def shows_presentation_states(self) -> bool:
        """The annotations saved on the disc (GSPS) and saving drawings as one."""
        return not self.is_patient

    @property
    def shows_technical_text(self) -> bool:
        """The window values and zoom in the image's corners."""
        return not self.is_patient

    @property
    def shows_overlay_planes(self) -> bool:
        """The graphics overlays stored in the files (groups 60xx), burnt into the image."""
        return not self.is_patient

    def shows_tool(self, tool: str) -> bool:
        """True when the drawing tool ``tool`` is offered in this mode."""
        return not self.is_patient or tool in SIMPLE_TOOLS

    def tools(self, every: tuple[str, ...]) -> tuple[str, ...]:
        """The tools of ``every`` offered in this mode, in their order."""
        return tuple(t for t in every if self.shows_tool(t))
