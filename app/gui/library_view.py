"""The library: every imported study, sortable and searchable, with what to do next.

In the simple view for patients the description column says in a plain sentence what
was scanned (app.services.plain_words); the clinic's own description is in its tooltip."""

from PySide6.QtCore import QPoint, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent, QStandardItem, QStandardItemModel
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

from app.core.errors import LightboxError
from app.gui.compare_prior import ComparePrior
from app.gui.observe import observe
from app.gui.tasks import GeneratorTask, run_in_background
from app.services.accounts_service import AccountsService
from app.services.library_service import (
    LibraryService,
    LibrarySummary,
    SentIdentity,
    ShareRow,
    StudyRow,
)
from app.services.plain_words import DEFAULT_LANGUAGE, explain_library_studies
from app.services.privacy import Privacy
from app.services.send_patient import sent_under_lines
from app.services.send_words import send_action_state, sent_text
from app.services.sharing import ShareOptions, describe_share, share_options
from app.services.user_mode import shown_text
from app.services.viewer_text import display_date, display_name, display_text, library_text

UID_ROLE = Qt.ItemDataRole.UserRole + 1
NEW_ACCOUNT = "<new>"  # Not a valid account name: "add an account first".
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
DATE_COLUMN = 3
MODALITY_COLUMN = 4
DESCRIPTION_COLUMN = 5
IMAGES_COLUMN = 6
SOURCE_COLUMN = 8
UPLOADED_COLUMN = 9
MAX_COLUMN_WIDTH = 220
MAX_SHARES_SHOWN = 5


def summary_text(summary: LibrarySummary, plain: bool = False,
                 language: str = DEFAULT_LANGUAGE) -> str:
    """"3 studies, 512 images in the library"; in the simple view (``plain``) "3 scans,
    512 pictures in the library", in the plain words' ``language``."""
    return library_text(summary.studies, summary.images, plain, language)


class LibraryView(QWidget):
    # The library summary (studies, images) counted from the rows the table shows, after
    # every reload: the window's status bar shows it.
    summary_changed = Signal(str)
    open_requested = Signal(str)  # study UID
    import_requested = Signal()
    delete_requested = Signal(str, str)  # study UID, description for the question
    upload_requested = Signal(list, str)  # study UIDs, account name (or NEW_ACCOUNT)
    send_requested = Signal(list)  # study UIDs: "Send to PACS..."
    share_requested = Signal(str)  # study UID
    export_requested = Signal(list)  # study UIDs
    share_copy_requested = Signal(str)  # study UID: a copy without the patient's name
    compare_requested = Signal(str, str)  # study UID, the earlier study's UID beside it

    COLUMNS = ("Patient", "Patient ID", "Birth date", "Study date", "Modality", "Description",
               "Images", "Complete", "Source", "Uploaded / sent")

    def __init__(self, privacy: Privacy, parent: QWidget | None = None,
                 library: LibraryService | None = None,
                 accounts: AccountsService | None = None) -> None:
        super().__init__(parent)
        self.rows: list[StudyRow] = []
        self.shares: dict[str, list[ShareRow]] = {}
        self.sent_under: dict[str, list[SentIdentity]] = {}  # Newest first, per study.
        self.summary = LibrarySummary(0, 0)
        self.privacy = privacy
        self._library = library
        self._accounts = accounts
        self._task: GeneratorTask | None = None
        self.plain_words = False  # the simple view for patients
        self.language = DEFAULT_LANGUAGE  # of the plain sentences
        # Study UID -> the plain sentence; where it was taken left out in the second.
        self.explained: dict[str, str] = {}
        self.explained_without_place: dict[str, str] = {}
        observe(self, privacy.changed, lambda _hidden: self.show_rows(self.rows))
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
        self.table.sortByColumn(DATE_COLUMN, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        # The description and the source share what the other columns leave, so a long
        # folder name can never squeeze the description away (both are elided, with the
        # whole text in the tooltip).
        for column in (DESCRIPTION_COLUMN, SOURCE_COLUMN):
            self.table.horizontalHeader().setSectionResizeMode(
                column, QHeaderView.ResizeMode.Stretch
            )
        # The plain sentence wraps: its rows follow the column's width, known only once
        # the stretched columns are laid out (after the rows are shown, or a resize).
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.timeout.connect(self._fit_rows)
        self.table.horizontalHeader().sectionResized.connect(
            lambda _column, _old, _new: self._fit_timer.start(0))
        self.table.doubleClicked.connect(lambda _index: self._open())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
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
        self.compare_button = QPushButton(self.tr("Compare with pre&vious"))
        self.compare = ComparePrior(self.library, privacy, self)
        self.compare.state_changed.connect(self._compare_state)
        self.compare.look("")
        self.compare.chosen.connect(self.compare_requested)
        self.compare_button.clicked.connect(self.compare.compare)
        self.delete_button = QPushButton(self.tr("&Delete..."))
        self.delete_button.clicked.connect(self._delete)
        self.upload_button = QPushButton(self.tr("&Upload to..."))
        self.upload_menu = QMenu(self)
        self.upload_menu.aboutToShow.connect(self._fill_upload_menu)
        self.upload_button.setMenu(self.upload_menu)
        self.send_button = QPushButton(self.tr("Send to &PACS..."))
        self.send_button.clicked.connect(self._send)
        self.share_button = QPushButton(self.tr("S&hare with a doctor..."))
        self.share_button.clicked.connect(self._share)
        self.export_button = QPushButton(self.tr("E&xport..."))
        self.export_button.setToolTip(self.tr(
            "A copy of the selected studies in a folder, a ZIP file or a disc image, with "
            "or without the name."))
        self.export_button.clicked.connect(
            lambda: self.export_requested.emit(self.selected_studies()))
        self.share_copy_button = QPushButton(self.tr("Share a copy &without my name..."))
        self.share_copy_button.setToolTip(self.tr(
            "Uploads a copy of this study that does not carry the name, birth date or ID, "
            "and gives its link for a doctor."))
        self.share_copy_button.clicked.connect(self._share_copy)
        # Two rows: finding, keeping and copying studies, then where the selected ones go
        # (one row of eight buttons would not fit a small window or half a laptop screen).
        buttons = QHBoxLayout()
        buttons.addWidget(self.search, 1)
        buttons.addWidget(import_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.export_button)
        sending = QHBoxLayout()
        sending.addWidget(self.upload_button)
        sending.addWidget(self.send_button)
        sending.addWidget(self.share_button)
        sending.addWidget(self.share_copy_button)
        sending.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addLayout(sending)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_buttons()

    def library(self) -> LibraryService:
        return self._library if self._library is not None else LibraryService()

    def accounts(self) -> AccountsService:
        return self._accounts if self._accounts is not None else AccountsService()

    def refresh(self) -> None:
        """Reload the study list in the background (after every import, delete, upload)."""
        library = self.library()
        language = self.language
        if self._task is not None:
            self._task.cancel()  # An older reload must not overwrite this one.
        self._task = run_in_background(
            lambda: (library.studies(), library.shares(), library.send_identities(),
                     explain_library_studies(library.home, language),
                     explain_library_studies(library.home, language, hide_place=True)),
            self._loaded)

    def _loaded(self, found: tuple[list[StudyRow], list[ShareRow], list[SentIdentity],
                                   dict[str, str], dict[str, str]]) -> None:
        self._task = None
        rows, shares, identities, self.explained, self.explained_without_place = found
        self.shares = {}
        for share in shares:  # Newest first.
            self.shares.setdefault(share.study_instance_uid, []).append(share)
        self.sent_under = {}
        for sent in identities:  # Newest first.
            self.sent_under.setdefault(sent.study_instance_uid, []).append(sent)
        self.show_rows(rows)

    def set_plain_words(self, plain: bool) -> None:
        """Plain sentences (the simple view for patients) or the clinic's descriptions."""
        if plain != self.plain_words:
            self.plain_words = plain
            self.send_button.setText(self.tr(shown_text("Send to &PACS...", plain)))
            self.show_rows(self.rows)

    def set_language(self, language: str) -> None:
        """Say the plain sentences in ``language`` (app.services.plain_words_language);
        they are made again in the background."""
        if language != self.language:
            self.language = language
            self.refresh()

    def _description(self, row: StudyRow) -> tuple[str, str]:
        """The description cell's text and tooltip in the current view."""
        described = display_text(row.study_description)
        explained = (self.explained_without_place if self.privacy.hidden
                     else self.explained).get(row.study_instance_uid, "")
        if not self.plain_words or not explained:
            return described, described
        tip = self.tr("{0}\nThe clinic's description: {1}").format(explained, described)
        return explained, tip if described else explained

    def show_rows(self, rows: list[StudyRow]) -> None:
        self.rows = rows
        self.model.setHeaderData(DESCRIPTION_COLUMN, Qt.Orientation.Horizontal, self.tr(
            "What was scanned") if self.plain_words else self.tr("Description"))
        self.model.setHeaderData(IMAGES_COLUMN, Qt.Orientation.Horizontal,
                                 self.tr(shown_text("Images", self.plain_words)))
        selected = set(self.selected_studies())
        self.model.setRowCount(0)
        show = self.privacy.show
        for row in rows:
            name = show(display_name(row.patient_name) or self.tr("(no name)"))
            patient_id = show(row.patient_id)
            birth = show(display_date(row.patient_birth_date))
            uploaded = ", ".join(f"{account}: {state}" for account, state in row.uploads.items())
            sent = self.tr(sent_text(row.sends))
            uploaded = f"{uploaded}, {sent}" if uploaded and sent else uploaded or sent
            shared = self.shares.get(row.study_instance_uid, [])
            if shared:
                uploaded = self.tr("{0}, shared").format(uploaded) if uploaded else self.tr(
                    "shared")
            missing = row.missing_on_source
            description, description_tip = self._description(row)
            incomplete = ("Incomplete: 1 image missing on the disc" if missing == 1
                          else "Incomplete: {0} images missing on the disc")
            flag = self.tr("Yes") if row.complete else self.tr(
                shown_text(incomplete, self.plain_words)).format(missing)
            cells = [
                (name, name.casefold()),
                (patient_id, patient_id),
                (birth, "" if self.privacy.hidden else row.patient_birth_date),
                (display_date(row.study_date), row.study_date),
                ("/".join(row.modalities), "/".join(row.modalities)),
                (description, description.casefold()),
                (str(row.instances), row.instances),
                (flag, missing),
                # Folder names of downloads often carry the patient's name.
                (show(row.source), "" if self.privacy.hidden else row.source),
                (uploaded or self.tr("not yet"), uploaded),
            ]
            items = []
            for text, key in cells:
                item = QStandardItem(text)
                item.setData(key, SORT_ROLE)
                item.setData(row.study_instance_uid, UID_ROLE)
                items.append(item)
            items[IMAGES_COLUMN].setTextAlignment(
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            # The whole text (the column may be too narrow), and what was shared when.
            items[SOURCE_COLUMN].setToolTip(items[SOURCE_COLUMN].text())
            items[DESCRIPTION_COLUMN].setToolTip(description_tip)
            items[UPLOADED_COLUMN].setToolTip("\n".join(
                [items[UPLOADED_COLUMN].text()]
                + [self.tr(line) for line in sent_under_lines(
                    self.sent_under.get(row.study_instance_uid, []), show)]
                + [describe_share(s) for s in shared[:MAX_SHARES_SHOWN]]))
            if not row.complete:
                items[IMAGES_COLUMN + 1].setToolTip(self.tr(shown_text(
                    "The disc listed images that were not on it. Ask the clinic for a new "
                    "copy.", self.plain_words)))
            self.model.appendRow(items)
        self.table.resizeColumnsToContents()
        # Long account names must not squeeze the description away.
        self.table.setColumnWidth(UPLOADED_COLUMN, min(self.table.columnWidth(UPLOADED_COLUMN),
                                                       MAX_COLUMN_WIDTH))
        # The sentence names the kind of scan in words: the modality code is for doctors,
        # and the room goes to the sentence, whole on two or three lines.
        self.table.setColumnHidden(MODALITY_COLUMN, self.plain_words)
        self._fit_timer.start(0)
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self._reselect(selected)
        self.compare.look(self.selected_study())  # An import may have brought a prior.
        self._update_buttons()
        self.summary = LibrarySummary.of(rows)
        self.summary_changed.emit(self.tr(summary_text(self.summary, self.plain_words,
                                                       self.language)))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_timer.start(0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_timer.start(0)

    def _fit_rows(self) -> None:
        if self.plain_words:
            self.table.resizeRowsToContents()

    def _reselect(self, uids: set[str]) -> None:
        if not uids:
            return
        selection = self.table.selectionModel()
        for number in range(self.proxy.rowCount()):
            index = self.proxy.index(number, 0)
            if index.data(UID_ROLE) in uids:
                selection.select(index, selection.SelectionFlag.Select
                                 | selection.SelectionFlag.Rows)

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
        can_send, why = send_action_state(len(self.selected_studies()))
        self.send_button.setEnabled(can_send)
        self.send_button.setToolTip(self.tr(why))
        self.export_button.setEnabled(bool(self.selected_studies()))
        self.share_copy_button.setEnabled(one)
        if self.selected_study() != self.compare.study:
            self.compare.look(self.selected_study())
        options = self.share_options()
        self.share_button.setEnabled(bool(options.accounts))
        self.share_button.setToolTip(options.reason or self.tr(
            "A link to this study for your doctor: copy it, email it or show it as a QR "
            "code."))

    def _compare_state(self, enabled: bool, why: str) -> None:
        self.compare_button.setEnabled(enabled)
        self.compare_button.setToolTip(why)

    def share_options(self) -> ShareOptions:
        """Through which accounts the selected study can be shared, or why not."""
        uid = self.selected_study()
        row = next((r for r in self.rows if r.study_instance_uid == uid), None)
        if row is None:
            return ShareOptions((), self.tr("Select one study to share it with a doctor."))
        try:
            accounts = self.accounts().all()
        except LightboxError as exc:
            return ShareOptions((), str(exc))
        return share_options(row.uploads, accounts)

    def _share(self) -> None:
        uid = self.selected_study()
        if uid and self.share_options().accounts:
            self.share_requested.emit(uid)

    def _send(self) -> None:
        studies = self.selected_studies()
        if studies:
            self.send_requested.emit(studies)

    def _share_copy(self) -> None:
        uid = self.selected_study()
        if uid:
            self.share_copy_requested.emit(uid)

    def _context_menu(self, position: QPoint) -> None:
        if not self.selected_studies():
            return
        menu = QMenu(self)
        for button in (self.open_button, self.compare_button, self.send_button, self.share_button,
                       self.share_copy_button, self.export_button, self.delete_button):
            action = menu.addAction(button.text().replace("&", ""))
            action.setEnabled(button.isEnabled())
            action.setToolTip(button.toolTip())
            action.triggered.connect(button.click)
        menu.setToolTipsVisible(True)
        menu.popup(self.table.viewport().mapToGlobal(position))
        self.context_menu = menu

    def _fill_upload_menu(self) -> None:
        self.upload_menu.clear()
        try:
            accounts = self.accounts().all()
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
        who = self.privacy.show(display_name(row.patient_name) or self.tr("(no name)"))
        question = ("{0}, {1} {2} (1 image)" if row.instances == 1
                    else "{0}, {1} {2} ({3} images)")
        what = self.tr(shown_text(question, self.plain_words)).format(
            who, display_date(row.study_date), display_text(row.study_description),
            row.instances
        )
        self.delete_requested.emit(uid, what)
