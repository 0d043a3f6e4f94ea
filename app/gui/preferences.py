"""Preferences: the few settings a user may want to change."""

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.gui.observe import observe
from app.imaging.frame_cache import DEFAULT_BUDGET_BYTES
from app.services.plain_words_language import SETTING_KEY as LANGUAGE_SETTING_KEY
from app.services.plain_words_language import (
    PlainWordsLanguage,
    language_from_setting,
    language_names,
)
from app.services.user_mode import (
    MODE_EXPLANATIONS,
    MODE_NAMES,
    MODES,
    SETTING_KEY,
    Mode,
    UserMode,
    mode_from_setting,
)

MB = 1024 * 1024


def cache_budget_bytes(settings: QSettings) -> int:
    """The frame cache budget from the settings (1 GB unless changed)."""
    default = DEFAULT_BUDGET_BYTES // MB
    try:
        megabytes = int(str(settings.value("cache/budget_mb", default)))
    except ValueError:
        megabytes = default
    return max(64, megabytes) * MB


def user_mode_setting(settings: QSettings) -> Mode:
    """The view stored in the settings: the simple view for patients unless a user chose
    the full view (also for installs from before the choice existed)."""
    return mode_from_setting(settings.value(SETTING_KEY))


def plain_language_setting(settings: QSettings) -> str:
    """The language of the plain words stored in the settings (English unless chosen);
    the command line reads the same value (app.services.plain_words_language)."""
    return language_from_setting(settings.value(LANGUAGE_SETTING_KEY))


class PreferencesDialog(QDialog):
    def __init__(self, settings: QSettings, parent: QWidget | None = None,
                 user_mode: UserMode | None = None,
                 language: PlainWordsLanguage | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Preferences"))
        self.settings = settings
        self.user_mode = user_mode
        self.plain_language = language
        # Each language by its own name ("Français"): whoever reads it can find theirs.
        self.language = QComboBox()
        self.language.setAccessibleName(self.tr("Language of the plain descriptions"))
        self.language.setToolTip(self.tr(
            "The language of the sentences that say what each set of pictures shows, and "
            "of the words explained under Help."))
        for code, name in language_names().items():
            self.language.addItem(name, code)
        chosen = language.code if language is not None else plain_language_setting(settings)
        self.language.setCurrentIndex(max(0, self.language.findData(chosen)))
        # Show: simple view for patients / full view for doctors, one sentence each.
        self.mode_buttons: dict[Mode, QRadioButton] = {}
        self.mode_group = QButtonGroup(self)
        modes = QVBoxLayout()
        for mode in MODES:
            button = QRadioButton(self.tr(MODE_NAMES[mode]))
            button.setToolTip(self.tr(MODE_EXPLANATIONS[mode]))
            explanation = QLabel(self.tr(MODE_EXPLANATIONS[mode]))
            explanation.setWordWrap(True)
            explanation.setIndent(24)  # under the button's text, not its circle
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            modes.addWidget(button)
            modes.addWidget(explanation)
        self._show_mode(user_mode.mode if user_mode is not None
                        else user_mode_setting(settings))
        if user_mode is not None:  # switched in the View menu while this is open
            observe(self, user_mode.changed, self._show_mode)
        self.budget = QSpinBox()
        self.budget.setRange(64, 64 * 1024)
        self.budget.setSingleStep(256)
        self.budget.setSuffix(self.tr(" MB"))
        self.budget.setValue(cache_budget_bytes(settings) // MB)
        self.budget.setAccessibleName(self.tr("Memory for decoded images"))
        self.budget.setToolTip(
            self.tr("Decoded images are kept in memory so scrolling back is instant.")
        )
        self.auto_import = QCheckBox(
            self.tr("Import discs and USB sticks with medical images as soon as they are "
                    "inserted (for front desks)")
        )
        self.auto_import.setChecked(
            str(settings.value("media/auto_import", "false")).lower() in ("true", "1")
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QFormLayout(self)
        layout.addRow(self.tr("Show:"), modes)
        layout.addRow(self.tr("Language of the plain descriptions:"), self.language)
        layout.addRow(self.tr("Memory for decoded images:"), self.budget)
        layout.addRow(self.auto_import)
        layout.addRow(buttons)

    def chosen_mode(self) -> Mode:
        """The view whose button is checked."""
        return next(m for m, b in self.mode_buttons.items() if b.isChecked())

    def chosen_language(self) -> str:
        """The code of the language chosen in the list."""
        return str(self.language.currentData())

    def _show_mode(self, mode: Mode) -> None:
        self.mode_buttons[mode].setChecked(True)

    def _save(self) -> None:
        self.settings.setValue(SETTING_KEY, self.chosen_mode())
        if self.user_mode is not None:
            self.user_mode.set_mode(self.chosen_mode())
        self.settings.setValue("cache/budget_mb", self.budget.value())
        self.settings.setValue("media/auto_import", self.auto_import.isChecked())
        self.settings.setValue(LANGUAGE_SETTING_KEY, self.chosen_language())
        self.settings.sync()  # the command line reads the file: it sees the choice at once
        if self.plain_language is not None:
            self.plain_language.set_language(self.chosen_language())
        self.accept()
