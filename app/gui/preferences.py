"""Preferences: the few settings a user may want to change."""

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from app.imaging.frame_cache import DEFAULT_BUDGET_BYTES

MB = 1024 * 1024


def cache_budget_bytes(settings: QSettings) -> int:
    """The frame cache budget from the settings (1 GB unless changed)."""
    default = DEFAULT_BUDGET_BYTES // MB
    try:
        megabytes = int(str(settings.value("cache/budget_mb", default)))
    except ValueError:
        megabytes = default
    return max(64, megabytes) * MB


class PreferencesDialog(QDialog):
    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Preferences"))
        self.settings = settings
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
        layout.addRow(self.tr("Memory for decoded images:"), self.budget)
        layout.addRow(self.auto_import)
        layout.addRow(buttons)

    def _save(self) -> None:
        self.settings.setValue("cache/budget_mb", self.budget.value())
        self.settings.setValue("media/auto_import", self.auto_import.isChecked())
        self.accept()
