"""The library: every imported study, sortable and searchable, with what to do next."""

from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.cloud.accounts import AccountBook
from app.core.errors import LightboxError
from app.core.paths import lightbox_home
from app.gui.browser import display_date, display_name
from app.gui.tasks import GeneratorTask, start_task
from app.library.library import Library, StudyRow

UID_ROLE = Qt.ItemDataRole.UserRole + 1
NEW_ACCOUNT = "<new>"  # Not a valid account name: "add an account first".
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


def _load_studies(home: Path) -> list[StudyRow]:
    with Library(home) as library:
        return library.list_studies()


class LibraryView(QWidget):
    loaded = Signal(str)  # a one-line summary of the library
    open_requested = Signal(str)  # study UID
    import_requested = Signal()
    delete_requested = Signal(str, str)  # study UID, description for the question
    upload_requested = Signal(list, str)  # study UIDs, account name (or NEW_ACCOUNT)

    COLUMNS = ("Patient", "Birth date", "Study date", "Modality", "Description", "Images",
               "Source", "Uploaded")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[StudyRow] = []
        self.privacy = False
        self._task: GeneratorTask | None = None
        self.model = QStandardItemModel(0, len(self.COLUMNS), self)
        self.model.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)  # Search every column.
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortRole(SORT_ROLE)

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search by name, date, description..."))
        self.search.setAccessibleName(self.tr("Search the library"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(self.tr("Studies in the library"))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(
            4, QHeaderView.ResizeMode.Stretch
        )
        self.table.doubleClicked.connect(lambda _index: self._open())
        self.empty = QLabel(
            self.tr("The library is empty. Import a disc, a folder, an ISO image or a ZIP "
                    "file to keep its images on this computer.")
        )
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        import_button = QPushButton(self.tr("&Import..."))
        import_button.clicked.connect(self.import_requested)
        self.open_button = QPushButton(self.tr("&Open"))
        self.open_button.clicked.connect(self._open)
        self.delete_button = QPushButton(self.tr("&Delete..."))
        self.delete_button.clicked.connect(self._delete)
        self.upload_button = QPushButton(self.tr("&Upload to..."))
        self.upload_menu = QMenu(self)
        self.upload_menu.aboutToShow.connect(self._fill_upload_menu)
        self.upload_button.setMenu(self.upload_menu)
        buttons = QHBoxLayout()
        buttons.addWidget(self.search, 1)
        buttons.addWidget(import_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.upload_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_buttons()

    def refresh(self) -> None:
        """Reload the study list in the background."""
        home = lightbox_home()
        task = GeneratorTask(lambda: iter([_load_studies(home)]), lambda _item: True)
        task.signals.finished.connect(self.show_rows)
        self._task = start_task(task)

    def show_rows(self, rows: list[StudyRow]) -> None:
        self.rows = rows
        self.model.setRowCount(0)
        for row in rows:
            name = self.tr("(name hidden)") if self.privacy else (
                display_name(row.patient_name) or self.tr("(no name)")
            )
            uploaded = ", ".join(f"{account}: {state}" for account, state in row.uploads.items())
            cells = [
                (name, name.casefold()),
                (display_date(row.patient_birth_date), row.patient_birth_date),
                (display_date(row.study_date), row.study_date),
                ("/".join(row.modalities), "/".join(row.modalities)),
                (row.study_description, row.study_description.casefold()),
                (str(row.instances), row.instances),
                (row.source, row.source),
                (uploaded or self.tr("not uploaded"), uploaded),
            ]
            items = []
            for text, key in cells:
                item = QStandardItem(text)
                item.setData(key, SORT_ROLE)
                item.setData(row.study_instance_uid, UID_ROLE)
                items.append(item)
            items[5].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.model.appendRow(items)
        self.table.resizeColumnsToContents()
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self._update_buttons()
        images = sum(r.instances for r in rows)
        self.loaded.emit(self.tr("{0} studies, {1} images in the library").format(
            len(rows), images))

    def set_privacy(self, hidden: bool) -> None:
        self.privacy = hidden
        self.show_rows(self.rows)

    def selected_studies(self) -> list[str]:
        return [str(i.data(UID_ROLE)) for i in self.table.selectionModel().selectedRows()]

    def selected_study(self) -> str:
        chosen = self.selected_studies()
        return chosen[0] if len(chosen) == 1 else ""

    def _update_buttons(self) -> None:
        one = bool(self.selected_study())
        self.open_button.setEnabled(one)
        self.delete_button.setEnabled(one)
        self.upload_button.setEnabled(bool(self.selected_studies()))

    def _fill_upload_menu(self) -> None:
        self.upload_menu.clear()
        try:
            accounts = AccountBook(lightbox_home()).all()
        except LightboxError:
            accounts = []
        for account in accounts:
            action = self.upload_menu.addAction(account.name)
            action.triggered.connect(
                lambda _=False, name=account.name: self.upload_requested.emit(
                    self.selected_studies(), name)
            )
        if accounts:
            self.upload_menu.addSeparator()
        new = self.upload_menu.addAction(self.tr("Add an account..."))
        new.triggered.connect(
            lambda: self.upload_requested.emit(self.selected_studies(), NEW_ACCOUNT)
        )

    def _open(self) -> None:
        uid = self.selected_study()
        if uid:
            self.open_requested.emit(uid)

    def _delete(self) -> None:
        uid = self.selected_study()
        row = next((r for r in self.rows if r.study_instance_uid == uid), None)
        if row is None:
            return
        who = self.tr("(name hidden)") if self.privacy else display_name(row.patient_name)
        what = self.tr("{0}, {1} {2} ({3} images)").format(
            who, display_date(row.study_date), row.study_description, row.instances
        )
        self.delete_requested.emit(uid, what)
