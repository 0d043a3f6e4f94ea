"""The progress part of every upload and send dialog: a line per study, a status sentence,
and the images that were not accepted (with the reason), shown only when there are some;
above them a problem that stopped the whole job, below a note, each only when there is
one."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)


class UploadProgressPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([self.tr("Study"), self.tr("Progress")])
        self.tree.setAccessibleName(self.tr("Upload progress per study"))
        self.tree.setColumnWidth(0, 260)
        self.tree.setRootIsDecorated(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("font-weight: bold")
        self.problem.hide()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        self.failures = QListWidget()
        self.failures.setAccessibleName(self.tr("Images the server did not accept"))
        # The reason ends the line: it must never be cut off.
        self.failures.setWordWrap(True)
        self.failures.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.failures.hide()
        self._items: dict[str, QTreeWidgetItem] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.problem)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.note)
        layout.addWidget(self.failures, 1)

    def set_study(self, uid: str, text: str, label: str = "") -> None:
        """Show ``text`` on the study's line, adding the line (named ``label``, else the
        UID) the first time."""
        item = self._items.get(uid)
        if item is None:
            item = QTreeWidgetItem([label or uid, text])
            self.tree.addTopLevelItem(item)
            self._items[uid] = item
        else:
            item.setText(1, text)
        if label:
            item.setText(0, label)
            item.setToolTip(0, label)  # The column may be too narrow for it.

    def study_text(self, uid: str) -> str:
        item = self._items.get(uid)
        return item.text(1) if item is not None else ""

    def show_failures(self, lines: list[str]) -> None:
        """List what was not accepted or not read; hidden when there is nothing."""
        self.failures.clear()
        self.failures.addItems(lines)
        self.failures.setVisible(bool(lines))

    def show_problem(self, text: str) -> None:
        """The one sentence on what stopped the whole job, at the top; "" hides it."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def show_note(self, text: str) -> None:
        """A note under the status (e.g. how images were sent); "" hides it."""
        self.note.setText(text)
        self.note.setVisible(bool(text))
