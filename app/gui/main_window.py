"""The main window: the library page, or the series browser beside the viewer page.

It owns one ViewerModel and one Privacy, opens media through a ViewerSession (the loader
thread) and passes what the session finds to the model. The rules live in the model; the
widgets observe it. Menus and keys are in app.gui.actions, the image page in
app.gui.viewer_page, problems with a medium in app.gui.problem_details.

Slightly over 400 lines, on purpose: this is the one place where the loader session, the
model, the library page and the transfer flows are wired to each other; split further,
the wiring would be spread over modules that each show only half of a connection.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
)

from app.core.models import InstanceRef, PatientNode, Problem
from app.gui.about import about_html
from app.gui.account_dialog import change_accounts
from app.gui.actions import build_menus, fill_window_menu, key_help
from app.gui.annotation_tools import AnnotationTools
from app.gui.browser import SeriesBrowser
from app.gui.compare_view import ComparePage, show_compare
from app.gui.copies import Copies
from app.gui.gsps_menu import PresentationStateMenu
from app.gui.import_dialog import ImportDialog
from app.gui.library_view import LibraryView
from app.gui.measurement_images import MeasurementImages
from app.gui.measurement_panel import MeasurementPanel
from app.gui.media_monitor import MediaMonitor
from app.gui.preferences import (
    PreferencesDialog,
    cache_budget_bytes,
    plain_language_setting,
    user_mode_setting,
)
from app.gui.save_image import ImageSaver
from app.gui.session import ViewerSession
from app.gui.settings import app_settings
from app.gui.share_dialog import Sharing
from app.gui.tag_browser import TagBrowser
from app.gui.tasks import GeneratorTask, start_task
from app.gui.transfers import Transfers
from app.gui.view_modes import ViewModes
from app.gui.viewer_page import ViewerPage
from app.imaging.frame_cache import FrameCache
from app.imaging.slices import SeriesSlices
from app.services.accounts_service import AccountsService
from app.services.annotation_session import AnnotationSession
from app.services.annotation_values import file_images
from app.services.annotations import AnnotationDocument
from app.services.audit import unrecorded
from app.services.gsps_view import DiscPresentationStates
from app.services.library_service import LibraryService
from app.services.plain_words_language import PlainWordsLanguage
from app.services.privacy import Privacy
from app.services.problem_words import nothing_to_show
from app.services.user_mode import UserMode
from app.services.viewer_model import OpenSource, ViewerModel
from app.services.viewer_text import contents_text
from app.services.viewing import Document, LoadedFrame, OpenedDisc

PREFETCH_AHEAD = 8
MAX_RECENT = 10


class MainWindow(QMainWindow):
    first_image_shown = Signal()
    nothing_to_show = Signal(str)  # the medium opened (or not) without a first image
    audit_unrecorded = Signal(str)  # an action went ahead but is not in the audit log
    # Made by app.gui.actions.build_menus:
    action_library: QAction
    action_overlay: QAction
    action_privacy: QAction
    action_play: QAction
    action_wl_mode: QAction
    action_save_image: QAction
    action_copy_image: QAction
    action_measurements: QAction  # View > Measurements list (the dock's own toggle)
    action_tags: QAction  # View > DICOM tags (the full view for doctors only)
    recent_menu: QMenu
    window_menu: QMenu

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.settings = app_settings()
        self.privacy = Privacy()
        # The simple view for patients unless the full view for doctors was chosen.
        self.user_mode = UserMode(user_mode_setting(self.settings))
        self.plain_language = PlainWordsLanguage(plain_language_setting(self.settings))
        self.library = LibraryService()
        cache: FrameCache[tuple[str, int], LoadedFrame] = FrameCache(
            lambda loaded: loaded.nbytes, cache_budget_bytes(self.settings))
        self.viewer = ViewerModel(self.privacy, cache, PREFETCH_AHEAD, self.library.record_view)
        # Told from any thread; the signal brings the sentence to the status bar.
        self.audit_unrecorded.connect(self.summary_text)
        self._stop_audit_notes = unrecorded.connect(self.audit_unrecorded.emit)
        self.viewer.set_fps(_int_setting(self.settings, "cine/fps", 10))
        self.session: ViewerSession | None = None
        self._stop_requests: list[Callable[[], None]] = []
        self.image_shown = False
        self._tag_browser: TagBrowser | None = None
        self.compare_page: ComparePage | None = None  # made on first use (View > Compare)
        self._temp_dir = tempfile.TemporaryDirectory(prefix="lightbox-")

        self.page = ViewerPage(self.viewer, Path(self._temp_dir.name))
        self.viewer_page = self.page
        self.model, self.viewport = self.page.model, self.page.viewport
        self.slider, self.fps, self.stack = self.page.slider, self.page.fps, self.page.stack
        self.report_view = self.page.report_view
        self.viewport.painted.connect(self._on_painted)
        self.page.report_shown.connect(self._on_report_shown)

        self.library_view = LibraryView(self.privacy)
        self.library_view.open_requested.connect(self.open_study)
        self.library_view.compare_requested.connect(self.compare_with_previous)
        self._prior_task: GeneratorTask | None = None
        self.transfers = Transfers(self, self.settings, self.privacy, self.open_path,
                                   user_mode=self.user_mode, language=self.plain_language)
        self.transfers.library_changed.connect(self.library_view.refresh)
        self.library_view.import_requested.connect(self.transfers.import_folder)
        self.library_view.delete_requested.connect(self.transfers.delete_study)
        self.library_view.upload_requested.connect(self.upload)
        self.library_view.send_requested.connect(self.transfers.send)
        self.sharing = Sharing(self)
        self.sharing.library_changed.connect(self.library_view.refresh)
        self.library_view.share_requested.connect(self.sharing.share_study)
        self.transfers.upload_reported.connect(self.sharing.after_upload)
        self.copies = Copies(self, self.privacy, self.sharing)
        self.copies.library_changed.connect(self.library_view.refresh)
        self.library_view.export_requested.connect(self.copies.export)
        self.library_view.share_copy_requested.connect(self.copies.share_copy)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.library_view)
        self.pages.addWidget(self.page)
        self.setCentralWidget(self.pages)
        self.monitor = MediaMonitor()
        self.monitor.inserted.connect(self.transfers.offer_inserted)

        self.browser = SeriesBrowser(self.privacy)
        self.browser.series_selected.connect(self.viewer.select_series)
        dock = QDockWidget(self.tr("Studies"), self)
        dock.setObjectName("studies")
        # The viewer's series list, or the compare page's (app.gui.compare_view).
        self.browser_stack = QStackedWidget()
        self.browser_stack.addWidget(self.browser)
        dock.setWidget(self.browser_stack)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.browser_dock = dock

        self.summary = QLabel(self.tr("Open a disc, folder, ISO image or ZIP file."))
        # The library page and the status bar show the same façade call's result.
        self.library_view.summary_changed.connect(
            lambda text: self.summary.setText(text)
            if self.pages.currentWidget() is self.library_view else None)
        self.summary.setAccessibleName(self.tr("Status"))
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setAccessibleName(self.tr("Reading progress"))
        self.progress.hide()
        self.statusBar().addWidget(self.summary, 1)
        self.statusBar().addPermanentWidget(self.progress)

        self.images = ImageSaver(self)
        # Presentation states (GSPS) of the study on screen, drawn over the image.
        self.presentation_states = DiscPresentationStates(self.viewer)
        self.presentation_states.annotations_changed.connect(self.viewport.set_annotations)
        self.presentation_states.message.connect(self.summary.setText)
        self.presentation_menu = PresentationStateMenu(self.presentation_states, self)
        # The user's own drawings: the study's document, the tool, the Measure menu.
        self.annotation_session = AnnotationSession(self.viewer, self.library)
        self.annotation_tools = AnnotationTools(self, self.annotation_session)
        self.transfers.library_changed.connect(self.annotation_session.library_changed)
        # The side list of measurements: the same document the drawing tools change.
        self.measurement_panel = MeasurementPanel(self.viewer, self.settings, self)
        self.measurement_panel.message.connect(self.summary.setText)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.measurement_panel)
        self.measurement_panel.hide()
        self.action_measurements = self.measurement_panel.toggleViewAction()
        self.action_measurements.setText(self.tr("&Measurements list"))
        # Inside an ISO or ZIP the list's images come from the viewer and its loader.
        self.measurement_images = MeasurementImages(self)
        self.annotation_session.document_changed.connect(self._list_measurements)
        # A row picked in the list is the drawing selected on the image (Delete removes it).
        self.measurement_panel.model.selection_changed.connect(self.annotation_session.select)
        self.view_modes = ViewModes(self, self.user_mode, self.plain_language)
        build_menus(self)
        self.view_modes.apply()
        self._refresh_recent()
        self.page.play_button.setDefaultAction(self.action_play)
        self.viewer.title_changed.connect(self.setWindowTitle)
        self.viewer.tree_changed.connect(self._on_tree)
        self.viewer.series_changed.connect(lambda s: self.browser.show_series(s))
        self.viewer.window_choices_changed.connect(lambda c: fill_window_menu(self, c))
        self.viewer.frame_unavailable.connect(self._nothing_to_show)
        self.viewer.fps_changed.connect(lambda fps: self.settings.setValue("cine/fps", fps))
        self.viewer.overlay_changed.connect(
            lambda _o: self.action_overlay.setChecked(self.viewer.overlay_visible))
        self.privacy.changed.connect(self._on_privacy)
        self.setWindowTitle(self.viewer.title())
        self.resize(1200, 800)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.viewport.show_message(self.tr("Open a disc, folder, ISO image or ZIP file."))

    @property
    def slices(self) -> SeriesSlices | None:
        return self.viewer.slices

    @property
    def cache(self) -> FrameCache[tuple[str, int], LoadedFrame]:
        return self.viewer.cache

    def go_to(self, index: int) -> None:
        self.viewer.go_to(index)

    # -- opening ------------------------------------------------------------------------
    def open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open a disc or folder"))
        if folder:
            self.open_path(Path(folder))

    def open_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a disc image, ZIP file, DICOMDIR or image"))
        if name:
            self.open_path(Path(name))

    def show_library(self) -> None:
        """Show the library page (and reload it)."""
        self.pages.setCurrentWidget(self.library_view)
        self.browser_dock.hide()
        self.action_library.setChecked(True)
        self.library_view.refresh()

    def show_viewer(self) -> None:
        self.pages.setCurrentWidget(self.page)
        self.browser_stack.setCurrentWidget(self.browser)
        self.browser_dock.show()
        self.action_library.setChecked(False)
        self.refresh_summary()  # not the library's count under the disc's pictures

    def compare_with_previous(self, current_uid: str, prior_uid: str) -> None:
        """Library > Compare with previous: the two studies side by side on the compare
        page, their best matching series first (see app.gui.compare_prior)."""
        from app.gui.compare_prior import open_pair

        self._prior_task = open_pair(self, current_uid, prior_uid)

    def show_compare(self) -> None:
        """View > Compare side by side (see app.gui.compare_view)."""
        show_compare(self)

    def toggle_library(self) -> None:
        if self.pages.currentWidget() is self.library_view:
            self.show_viewer()
        else:
            self.show_library()

    def open_path(self, path: Path) -> None:
        """Open a disc, folder, ISO, ZIP or file in the viewer."""
        self._remember_recent(path)
        self._start_session(OpenSource("medium", path), ())

    def open_study(self, study_uid: str) -> None:
        """Open a study of the library in the viewer (its index is read off the UI thread)."""
        library = self.library
        task = GeneratorTask(lambda: iter([library.study_contents(study_uid)]),
                             lambda _item: True)
        task.signals.finished.connect(lambda found: self._open_library_study(study_uid, found))
        task.signals.failed.connect(self.summary.setText)
        self._library_task = start_task(task)

    def _open_library_study(self, uid: str, found: tuple[Path, list[InstanceRef]]) -> None:
        root, refs = found
        if not refs:
            self.summary.setText(self.tr("That study is no longer in the library."))
            return
        self._start_session(OpenSource("library", root, uid), tuple(refs))

    def _list_measurements(self, document: AnnotationDocument | None) -> None:
        """The side list follows the annotation document of the study on screen (saved
        in the library, or memory-only for a disc not imported), measured on its files
        when the medium is a folder (inside an ISO or ZIP from what the viewer has read
        and, for the rest, read on the loader thread)."""
        source = self.viewer.source
        if document is None or source is None:
            self.measurement_panel.set_document(None)
            return
        refs = self.session.instances if self.session is not None else []
        root = source.path
        images = (file_images({ref.sop_instance_uid: root / ref.path for ref in refs})
                  if root.is_dir() else self.measurement_images.source(refs))
        self.measurement_panel.set_document(document, images)

    def _start_session(self, source: OpenSource, known: tuple[InstanceRef, ...]) -> None:
        self.show_viewer()
        self._close_session()
        self.page.problem_bar.set_problems(())
        self.measurement_panel.set_document(None)
        self.image_shown = False
        self.viewer.open_source(source)
        shown = source.label if source.kind == "library" else str(source.path)
        self.viewport.show_message(self.tr("Reading {0}...").format(shown))
        self.summary.setText(self.tr("Reading {0}...").format(shown))
        session = ViewerSession(source.path, self.viewer.cache, known)
        session.opened.connect(self._on_opened)
        session.open_failed.connect(self._on_open_failed)
        session.tree_changed.connect(self.viewer.set_tree)
        session.frame_loaded.connect(self.viewer.frame_loaded)
        session.frame_failed.connect(self.viewer.frame_failed)
        session.thumbnail_loaded.connect(self.browser.set_thumbnail)
        session.identified.connect(self._on_identified)
        session.dataset_loaded.connect(self._on_dataset)
        session.document_loaded.connect(self._on_document)
        session.request_failed.connect(self.summary.setText)
        session.problems_changed.connect(self._on_problems)
        session.presentation_state_loaded.connect(self.presentation_states.loaded)
        session.presentation_state_failed.connect(self.presentation_states.failed)
        self._stop_requests = [
            self.presentation_states.wanted.connect(session.want_presentation_states),
            self.viewer.frames_wanted.connect(session.want_frames),
            self.viewer.frames_prefetch.connect(session.prefetch_frames),
            self.viewer.document_wanted.connect(session.want_document),
        ]
        self.session = session

    def _close_session(self) -> None:
        self.viewer.set_playing(False)
        for stop in self._stop_requests:
            stop()
        self._stop_requests = []
        if self.session is not None:
            self.session.close()
            self.session.deleteLater()
            self.session = None

    def _on_opened(self, disc: OpenedDisc) -> None:
        self.summary.setText(self.tr("Reading images..."))
        if not disc.listed and not disc.unlisted:
            self._nothing_to_show(self._why_nothing())

    def _on_problems(self, problems: tuple[Problem, ...]) -> None:
        """What is wrong with the medium, in the same words as the import dialog."""
        self.page.problem_bar.set_problems(problems, self._listed())
        self.refresh_summary()  # A problem found while viewing counts in the line too.

    def _listed(self) -> int | None:
        disc = self.session.disc if self.session is not None else None
        return disc.listed_count if disc is not None and disc.listed_count else None

    def _why_nothing(self) -> str:
        problems = self.session.problems if self.session is not None else []
        return nothing_to_show(problems, self._listed())

    def _on_open_failed(self, message: str) -> None:
        self.summary.setText(message)
        self._nothing_to_show(message)

    def _nothing_to_show(self, message: str) -> None:
        self.viewport.show_message(message)
        if not self.image_shown:
            self.nothing_to_show.emit(message)

    def _on_identified(self, done: int, total: int) -> None:
        if done >= total:
            self.progress.hide()
            self._show_summary()
            if self.session is not None and not self.session.instances:
                self._nothing_to_show(self._why_nothing())
            return
        self.progress.show()
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def refresh_summary(self) -> None:
        """Say again what is open in the status bar, in the current view's words (after a
        switch between the simple and the full view); not while it is still being read, nor
        over the library's or the comparison's own line."""
        if self.progress.isHidden() and self.pages.currentWidget() is self.page:
            self._show_summary()

    def _show_summary(self) -> None:
        if self.session is None:
            return
        text = contents_text(self.viewer.patients, plain=self.user_mode.shows_plain_words,
                             language=self.plain_language.code)
        problems = len(self.session.problems)
        if problems == 1:
            text += self.tr("; 1 file with a problem (see above the image)")
        elif problems:
            text += self.tr("; {0} files with problems (see above the image)").format(problems)
        self.summary.setText(text)

    def _on_tree(self, patients: tuple[PatientNode, ...]) -> None:
        self.browser.set_tree(patients, self.viewer.series)
        if self.session is not None:
            self.session.want_thumbnails(self.browser.all_series())
        if self.progress.isHidden() and patients:
            self._show_summary()

    def _on_painted(self) -> None:
        if not self.image_shown:
            self.image_shown = True
            self.first_image_shown.emit()

    def _on_report_shown(self, _text: str) -> None:
        if not self.image_shown:
            self.nothing_to_show.emit(self.tr("This is a report, not an image."))

    # -- privacy, tags, reports, help -------------------------------------------------
    def _on_privacy(self, hidden: bool) -> None:
        self.action_privacy.setChecked(hidden)

    def set_window_level_mode(self, checked: bool) -> None:
        self.viewport.window_level_mode = checked

    @property
    def tag_browser(self) -> TagBrowser | None:
        """The DICOM tag browser, once opened."""
        return self._tag_browser

    def show_tags(self) -> None:
        if self.slices is None or self.session is None:
            return
        self.session.want_dataset(self.slices.current.instance.path)

    def _on_dataset(self, path: str, dataset: object) -> None:
        if self._tag_browser is None:
            self._tag_browser = TagBrowser(self.privacy, self)
        self._tag_browser.show_dataset(path, dataset)
        self._tag_browser.show()
        self._tag_browser.raise_()

    def _on_document(self, path: str, document: Document) -> None:
        self.page.show_document(path, document)

    def preferences(self) -> None:
        dialog = PreferencesDialog(self.settings, self, self.user_mode, self.plain_language)
        if dialog.exec():
            self.viewer.cache.set_budget(cache_budget_bytes(self.settings))
            self.annotation_tools.layer.set_picture_budget(cache_budget_bytes(self.settings) // 8)

    def help_text(self) -> str:
        """The F1 help: two paragraphs and every key, made from the actions."""
        return key_help(self.menuBar())

    def show_help(self) -> None:
        box = QMessageBox(QMessageBox.Icon.NoIcon, self.tr("How to use Lightbox"),
                          self.help_text(), QMessageBox.StandardButton.Close, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setModal(False)
        box.show()
        self.help_box = box

    def about(self) -> None:
        QMessageBox.about(self, self.tr("About Lightbox"), about_html())

    # -- importing, uploading (the flows live in Transfers) -----------------------------
    def import_path(self, path: Path, start_now: bool = False) -> ImportDialog:
        """Show the import dialog for ``path`` (non-modal: the viewer stays usable)."""
        return self.transfers.import_path(path, start_now)

    def upload(self, study_uids: list[str], account_name: str) -> None:
        """Upload studies of the library (see Transfers.upload)."""
        self.transfers.upload(study_uids, account_name)

    def change_accounts(self) -> None:
        """File > Accounts and PACS: add or change a cloud account (its viewer for doctors)
        or a PACS."""
        if change_accounts(self, AccountsService(), pacs=True) is not None:
            self.library_view.refresh()  # What can be shared may have changed.

    def import_open_disc(self) -> None:
        if self.session is not None and not self.session.reader.is_library:
            self.import_path(self.session.path)

    def upload_open(self) -> None:
        """Upload what is in front of the user: on the library page the selected studies;
        in the viewer the study or disc on screen (a disc is imported as it is sent)."""
        if self.pages.currentWidget() is self.library_view or self.session is None:
            self.upload(self.library_view.selected_studies(), "")
        elif self.session.reader.is_library:
            self.upload(sorted({ref.study_instance_uid for ref in self.session.instances}), "")
        else:
            self.transfers.upload_disc(self.session.path)

    def send_open(self) -> None:
        """File > Send to PACS: the selected studies, or the library study on screen."""
        studies = self.open_library_studies()
        if studies is None:
            self._import_first(self.tr("Send to PACS"))
        else:
            self.transfers.send(studies)

    def open_library_studies(self) -> list[str] | None:
        """The studies in front of the user: on the library page the selected ones, in the
        viewer the library study on screen; None when a disc (not the library) is open."""
        if self.pages.currentWidget() is self.library_view or self.session is None:
            return self.library_view.selected_studies()
        if not self.session.reader.is_library:
            return None
        current = self.browser.current_series()
        if current is not None and current.instances:
            return [current.instances[0].study_instance_uid]
        return sorted({ref.study_instance_uid for ref in self.session.instances})

    def _import_first(self, title: str) -> None:
        QMessageBox.information(self, title, self.tr(
            "This disc is not in the library yet. Import it first (File > Import the open "
            "disc), then choose it in the library."))

    def export_open(self) -> None:
        """File > Export: the selected studies, or the library study on screen."""
        studies = self.open_library_studies()
        if studies is None:
            self._import_first(self.tr("Export"))
        else:
            self.copies.export(studies)

    def share_copy_open(self) -> None:
        """File > Share a copy without my name: the one study selected or on screen."""
        studies = self.open_library_studies()
        if studies is None:
            self._import_first(self.tr("Share a copy without my name"))
        elif len(studies) != 1:
            QMessageBox.information(self, self.tr("Share a copy without my name"), self.tr(
                "Select one study in the library, or open it, to share a copy of it."))
        else:
            self.copies.share_copy(studies[0])

    # -- recent items, drag and drop, closing -------------------------------------------
    def _remember_recent(self, path: Path) -> None:
        resolved = str(path.resolve())
        recent = [resolved] + [p for p in self._recent() if p != resolved]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self._refresh_recent()

    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for item in self._recent():
            action = self.recent_menu.addAction(item)
            action.triggered.connect(lambda _=False, p=item: self.open_path(Path(p)))
        self.recent_menu.setEnabled(bool(self._recent()))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_path(Path(url.toLocalFile()))
                event.acceptProposedAction()
                return

    def summary_text(self, text: str) -> None:
        self.summary.setText(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop_audit_notes()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.monitor.stop()
        self._close_session()
        if self.compare_page is not None:
            self.compare_page.close_sessions()
        self.presentation_states.close()
        self.annotation_session.close()
        self.viewer.close()
        self._temp_dir.cleanup()
        super().closeEvent(event)


def _int_setting(settings: QSettings, key: str, default: int) -> int:
    try:
        return int(str(settings.value(key, default)))
    except ValueError:
        return default
