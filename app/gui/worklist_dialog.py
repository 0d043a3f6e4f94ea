"""Find in the worklist: search a saved Modality Worklist server for the local patient,
pick one item, and hand its identity (Patient ID, issuer, name, birth date, sex, accession)
to the reconciliation form. The search runs off the GUI thread; every rule (the query's
fields, the summary sentence, the identity) is the service's."""

import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import LightboxError
from app.gui.tasks import GeneratorTask, run_in_background
from app.services.accounts_service import AccountsService
from app.services.reconciling import LocalIdentity
from app.services.worklist_lookup import (
    COLUMNS,
    WorklistAnswer,
    WorklistItem,
    display_row,
    look_up,
    make_query,
    no_server_sentence,
    summary,
    to_identity,
    unusable,
    worklist_servers,
)


class WorklistDialog(QDialog):
    """Asks a saved worklist server who is scheduled; after ``exec()`` returns Accepted,
    :meth:`chosen` is the picked patient's LocalIdentity. ``default_issuer`` stands in for
    an item that names no issuer; ``patient_name`` starts the name field (e.g. the disc's
    family name)."""

    def __init__(self, parent: QWidget | None = None, accounts: AccountsService | None = None,
                 default_issuer: str = "", patient_name: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Find in the worklist"))
        self.accounts = accounts or AccountsService()
        self.default_issuer = default_issuer
        self._items: list[WorklistItem] = []
        self._chosen: LocalIdentity | None = None
        self._task: GeneratorTask | None = None
        self._summary = ""  # The last search's sentence, shown again after a warning.

        self.server = QComboBox()
        self.server.setAccessibleName(self.tr("Worklist server"))
        self.name = self._field(self.tr("Patient's name"),
                                self.tr("FAMILY or FAMILY^GIVEN; * and ? allowed"))
        self.name.setText(patient_name)
        self.patient_id = self._field(self.tr("Patient ID"), self.tr("any"))
        self.accession = self._field(self.tr("Accession number"), self.tr("any"))
        self.date = self._field(self.tr("Scheduled date"), self.tr("any day"))
        self.date.setText(datetime.date.today().isoformat())
        self.date.setToolTip(self.tr("YYYY-MM-DD, or YYYYMMDD-YYYYMMDD for several days; "
                                     "empty for any day"))
        self.search_button = QPushButton(self.tr("Search"))
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setAccessibleName(self.tr("Worklist items found"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.cellDoubleClicked.connect(lambda _row, _column: self.use())

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Search status"))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.use_button = buttons.addButton(self.tr("Use this patient"),
                                            QDialogButtonBox.ButtonRole.AcceptRole)
        self.use_button.setAutoDefault(False)
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        for label, widget in ((self.tr("Server:"), self.server), (self.tr("Name:"), self.name),
                              (self.tr("Patient ID:"), self.patient_id),
                              (self.tr("Accession:"), self.accession),
                              (self.tr("Date:"), self.date), ("", self.search_button)):
            form.addRow(label, widget)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(820, 520)
        self._load_servers()

    def _field(self, accessible: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setAccessibleName(accessible)
        edit.setPlaceholderText(placeholder)
        return edit

    def _load_servers(self) -> None:
        try:
            servers = worklist_servers(self.accounts)
        except LightboxError as exc:
            servers, sentence = [], str(exc)
        else:
            sentence = no_server_sentence()
        for server in servers:
            self.server.addItem(f"{server.name} ({server.address})", server.name)
        if not servers:
            for widget in (self.server, self.name, self.patient_id, self.accession, self.date,
                           self.search_button, self.table):
                widget.setEnabled(False)
            self.status.setText(sentence)

    def chosen(self) -> LocalIdentity | None:
        """The identity of the item that was picked (None until one is)."""
        return self._chosen

    def chosen_item(self) -> WorklistItem | None:
        """The worklist item that was picked, as the server gave it."""
        return self._selected()

    def search(self) -> None:
        """Ask the chosen server, off the GUI thread; the table and status follow."""
        name = self.server.currentData()
        if name is None:
            return
        try:
            query = make_query(self.name.text(), self.patient_id.text(),
                               self.accession.text(), self.date.text())
        except LightboxError as exc:
            self.status.setText(str(exc))
            return
        self._summary = ""
        self._show([])
        self.search_button.setEnabled(False)
        self.status.setText(self.tr("Searching {0}...").format(name))
        accounts = self.accounts
        self._task = run_in_background(lambda: look_up(name, query, accounts=accounts),
                                       self._found, self._failed)

    def _found(self, answer: WorklistAnswer) -> None:
        self.search_button.setEnabled(True)
        self._summary = summary(answer)
        self.status.setText(self._summary)
        self._show(list(answer.items))

    def _failed(self, sentence: str) -> None:
        self.search_button.setEnabled(True)
        self.status.setText(sentence)

    def _show(self, items: list[WorklistItem]) -> None:
        self._items = items
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            for column, text in enumerate(display_row(item)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        if len(items) == 1:
            self.table.selectRow(0)
        self._selection_changed()

    def _selected(self) -> WorklistItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self._items[rows[0].row()] if rows and rows[0].row() < len(self._items) \
            else None

    def _selection_changed(self) -> None:
        item = self._selected()
        why = unusable(item) if item is not None else ""
        self.use_button.setEnabled(item is not None and not why)
        if why or self._summary:
            self.status.setText(why or self._summary)

    def use(self) -> None:
        """Take the selected item's identity and close."""
        item = self._selected()
        if item is None or unusable(item):
            return
        self._chosen = to_identity(item, self.default_issuer)
        self.accept()

    def done(self, result: int) -> None:
        if self._task is not None:
            self._task.cancel()  # A search still running is not shown any more.
        super().done(result)
