"""The main window: browser on the left, the image in the middle, every action in a menu.

Opening a medium starts a ViewerSession (one loader thread). The study tree appears as
soon as the directory files are read; the largest series of the first study is shown,
its first image as soon as that one file is decoded, and the rest of the series and
the thumbnails load behind it.
"""

import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.models import InstanceRef, PatientNode, SeriesNode
from app.core.paths import lightbox_home
from app.gui.browser import SeriesBrowser, display_date, display_name
from app.gui.import_dialog import ImportDialog
from app.gui.library_view import LibraryView
from app.gui.media_monitor import MediaMonitor
from app.gui.preferences import PreferencesDialog, cache_budget_bytes
from app.gui.session import ViewerSession
from app.gui.settings import app_settings
from app.gui.tag_browser import TagBrowser
from app.gui.tasks import GeneratorTask, start_task
from app.gui.transfers import Transfers
from app.gui.viewport import QtViewport, ViewportModel
from app.imaging.documents import document_kind
from app.imaging.frame_cache import FrameCache
from app.imaging.luts import MIN_MAX, LookupTable, Window
from app.imaging.presets import PRESETS
from app.imaging.render import GreyFrame
from app.imaging.slices import SeriesSlices
from app.imaging.viewport import ViewportState
from app.library.library import Library
from app.services.privacy import Privacy
from app.services.viewing import Document, LoadedFrame, OpenedDisc

PREFETCH_AHEAD = 8
MAX_RECENT = 10
PAGE_STEP = 10
# How long the old image may stay up, unlabelled, while the new one decodes.
OVERLAY_WAIT_MS = 80


class MainWindow(QMainWindow):
    first_image_shown = Signal()
    nothing_to_show = Signal(str)  # the medium opened (or not) without a first image

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(self.tr("Lightbox"))
        self.setAcceptDrops(True)
        self.settings = app_settings()
        self.cache: FrameCache[tuple[str, int], LoadedFrame] = FrameCache(
            lambda loaded: loaded.nbytes, cache_budget_bytes(self.settings)
        )
        self.session: ViewerSession | None = None
        self.slices: SeriesSlices | None = None
        self.direction = 1
        self.privacy = False
        self.image_shown = False
        self._tag_browser: TagBrowser | None = None
        self._temp_dir = tempfile.TemporaryDirectory(prefix="lightbox-")

        self.model = ViewportModel()
        self.viewport = QtViewport(self.model)
        self.viewport.step_requested.connect(lambda delta: self.step(delta))
        self.viewport.painted.connect(self._on_painted)
        self.model.changed.connect(self._update_overlays)
        self.report_view = QTextBrowser()
        self.report_view.setAccessibleName(self.tr("Report"))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.viewport)
        self.stack.addWidget(self.report_view)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName(self.tr("Image in series"))
        self.slider.setMinimum(0)
        self.slider.valueChanged.connect(self._on_slider)
        self.play_button = QToolButton()
        self.fps = QSpinBox()
        self.fps.setRange(1, 60)
        self.fps.setValue(_int_setting(self.settings, "cine/fps", 10))
        self.fps.setSuffix(self.tr(" fps"))
        self.fps.setAccessibleName(self.tr("Cine speed, frames per second"))
        self.fps.valueChanged.connect(self._on_fps)
        self.cine = QTimer(self)
        self.cine.timeout.connect(lambda: self.step(1, wrap=True))
        self._overlay_timer = QTimer(self)
        self._overlay_timer.setSingleShot(True)
        self._overlay_timer.setInterval(OVERLAY_WAIT_MS)
        self._overlay_timer.timeout.connect(self._update_overlays)

        self.controls = QWidget()
        controls = QHBoxLayout(self.controls)
        controls.setContentsMargins(6, 2, 6, 2)
        controls.addWidget(self.play_button)
        controls.addWidget(self.fps)
        controls.addWidget(self.slider, 1)
        viewer_page = QWidget()
        layout = QVBoxLayout(viewer_page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.controls)
        self.privacy_state = Privacy()  # The one "hide who this is" state my views observe.
        self.library_view = LibraryView(self.privacy_state)
        self.library_view.open_requested.connect(self.open_study)
        self.transfers = Transfers(self, self.settings, self.privacy_state, self.open_path)
        self.transfers.library_changed.connect(self.library_view.refresh)
        self.library_view.import_requested.connect(self.transfers.import_folder)
        self.library_view.delete_requested.connect(self.transfers.delete_study)
        self.library_view.upload_requested.connect(self.upload)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.library_view)
        self.pages.addWidget(viewer_page)
        self.viewer_page = viewer_page
        self.setCentralWidget(self.pages)
        self.monitor = MediaMonitor()
        self.monitor.inserted.connect(self.transfers.offer_inserted)

        self.browser = SeriesBrowser()
        self.browser.series_selected.connect(self.show_series)
        dock = QDockWidget(self.tr("Studies"), self)
        dock.setObjectName("studies")
        dock.setWidget(self.browser)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.browser_dock = dock

        self.summary = QLabel(self.tr("Open a disc, folder, ISO image or ZIP file."))
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

        self._build_actions()
        self.action_privacy.toggled.connect(self.privacy_state.set_hidden)
        self.play_button.setDefaultAction(self.action_play)
        self.resize(1200, 800)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.viewport.show_message(self.tr("Open a disc, folder, ISO image or ZIP file."))

    # -- actions ------------------------------------------------------------------------
    def _action(
        self, menu: QMenu, text: str, shortcut: QKeySequence | str | None, slot: object,
        checkable: bool = False,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)  # Shortcuts work even when the menu bar is hidden.
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        key = QKeySequence.StandardKey
        self._action(file_menu, self.tr("Open &folder or disc..."), QKeySequence(key.Open),
                     self._open_folder)
        self._action(file_menu, self.tr("Open f&ile (ISO, ZIP, DICOMDIR, image)..."),
                     "Ctrl+Shift+O", self._open_file)
        self.recent_menu = file_menu.addMenu(self.tr("Open &recent"))
        self._refresh_recent()
        file_menu.addSeparator()
        self._action(file_menu, self.tr("&Import disc or folder..."), "Ctrl+I",
                     self.transfers.import_folder)
        self._action(file_menu, self.tr("Import ISO or &ZIP file..."), "Ctrl+Alt+I",
                     self.transfers.import_file)
        self._action(file_menu, self.tr("Import the &open disc"), "Ctrl+Shift+I",
                     self._import_open_disc)
        self._action(file_menu, self.tr("&Upload selected or open..."), "Ctrl+U",
                     self._upload_open)
        file_menu.addSeparator()
        self._action(file_menu, self.tr("&Preferences..."), "Ctrl+,", self._preferences)
        self._action(file_menu, self.tr("&Quit"), QKeySequence(key.Quit), self.close)

        view = bar.addMenu(self.tr("&View"))
        self.action_library = self._action(view, self.tr("&Library"), "Ctrl+B",
                                           self.toggle_library, checkable=True)
        view.addSeparator()
        self._action(view, self.tr("Zoom &in"), "Ctrl+=", lambda: self.viewport.zoom_by(1.25))
        self._action(view, self.tr("Zoom &out"), "Ctrl+-", lambda: self.viewport.zoom_by(0.8))
        self._action(view, self.tr("&Fit to window"), "F", lambda: self.model.set_fit(True))
        self._action(view, self.tr("&Actual size (1:1)"), "Ctrl+1", self.viewport.actual_size)
        view.addSeparator()
        self._action(view, self.tr("Rotate &right"), "R", lambda: self._rotate(90))
        self._action(view, self.tr("Rotate &left"), "L", lambda: self._rotate(-90))
        self._action(view, self.tr("Flip &horizontally"), "H", lambda: self._flip("h"))
        self._action(view, self.tr("Flip &vertically"), "V", lambda: self._flip("v"))
        self._action(view, self.tr("&Reset view"), "Ctrl+R", self._reset_view)
        view.addSeparator()
        self.action_privacy = self._action(
            view, self.tr("&Hide patient name"), "P", self._toggle_privacy, checkable=True
        )
        self._action(view, self.tr("DICOM &tags..."), "Ctrl+T", self._show_tags)

        window = bar.addMenu(self.tr("&Window"))
        self.window_menu = window
        self._build_window_menu()

        image = bar.addMenu(self.tr("&Image"))
        self._action(image, self.tr("&Next image"), "Down", lambda: self.step(1))
        self._action(image, self.tr("&Previous image"), "Up", lambda: self.step(-1))
        self._action(image, self.tr("Next image (right)"), "Right", lambda: self.step(1))
        self._action(image, self.tr("Previous image (left)"), "Left", lambda: self.step(-1))
        self._action(image, self.tr("Ten images forward"), "PgDown",
                     lambda: self.step(PAGE_STEP))
        self._action(image, self.tr("Ten images back"), "PgUp", lambda: self.step(-PAGE_STEP))
        self._action(image, self.tr("&First image"), "Home", lambda: self.go_to(0))
        self._action(image, self.tr("&Last image"), "End", lambda: self.go_to(10**9))
        image.addSeparator()
        self._action(image, self.tr("Next &series"), "Ctrl+Down",
                     lambda: self.browser.step_series(1))
        self._action(image, self.tr("Previous s&eries"), "Ctrl+Up",
                     lambda: self.browser.step_series(-1))
        image.addSeparator()
        self.action_play = self._action(image, self.tr("&Play / pause"), "Space",
                                        self._toggle_cine, checkable=True)
        self._action(image, self.tr("Play &faster"), "]",
                     lambda: self.fps.setValue(self.fps.value() + 2))
        self._action(image, self.tr("Play &slower"), "[",
                     lambda: self.fps.setValue(self.fps.value() - 2))

        help_menu = bar.addMenu(self.tr("&Help"))
        self._action(help_menu, self.tr("&About Lightbox"), "F1", self._about)

    def _build_window_menu(self) -> None:
        """The window menu for the frame on screen: its own windows, presets, min-max."""
        menu = self.window_menu
        for action in menu.actions():
            self.removeAction(action)  # Old shortcuts must not linger on the window.
        menu.clear()
        self.action_wl_mode = self._action(
            menu, self.tr("&Window/level with left button"), "W",
            self._toggle_wl_mode, checkable=True,
        )
        self.action_wl_mode.setChecked(self.viewport.window_level_mode)
        menu.addSeparator()
        self._action(menu, self.tr("File's own window"), "0",
                     lambda: self._set_voi(None))
        frame = self.viewport.frame
        modality = self.slices.series.modality if self.slices else ""
        presets = PRESETS.get(modality.strip().upper(), PRESETS["CT"])
        for number, preset in enumerate(presets, start=1):
            text = f"{preset.label} ({preset.center:g} / {preset.width:g})"
            shortcut = str(number) if number <= 9 else None
            self._action(menu, text, shortcut,
                         lambda _=False, w=preset.window: self._set_voi(w))
        if isinstance(frame, GreyFrame):
            for window in frame.attributes.windows[1:]:
                text = self.tr("From the file: {0:g} / {1:g}").format(
                    window.center, window.width
                )
                self._action(menu, text, None, lambda _=False, w=window: self._set_voi(w))
        self._action(menu, self.tr("&Min-max"), "M", lambda: self._set_voi(MIN_MAX))
        menu.addSeparator()
        self._action(menu, self.tr("&Invert"), "I", self._invert)

    # -- opening ------------------------------------------------------------------------
    def _open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open a disc or folder"))
        if folder:
            self.open_path(Path(folder))

    def _open_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a disc image, ZIP file, DICOMDIR or image")
        )
        if name:
            self.open_path(Path(name))

    def show_library(self) -> None:
        """Show the library page (and reload it)."""
        self.pages.setCurrentWidget(self.library_view)
        self.browser_dock.hide()
        self.action_library.setChecked(True)
        self.library_view.refresh()

    def show_viewer(self) -> None:
        self.pages.setCurrentWidget(self.viewer_page)
        self.browser_dock.show()
        self.action_library.setChecked(False)

    def toggle_library(self) -> None:
        if self.pages.currentWidget() is self.library_view:
            self.show_viewer()
        else:
            self.show_library()

    def open_path(self, path: Path) -> None:
        """Open a disc, folder, ISO, ZIP, DICOMDIR or single file."""
        self._start_session(path, ())
        self._remember_recent(path)

    def open_study(self, study_uid: str) -> None:
        """Open a study of the library in the viewer."""
        home = lightbox_home()
        task = GeneratorTask(lambda: iter([_study_refs(home, study_uid)]), lambda _item: True)
        task.signals.finished.connect(self._open_library_study)
        task.signals.failed.connect(lambda message: self.summary.setText(message))
        self._library_task = start_task(task)

    def _open_library_study(self, found: tuple[Path, tuple[InstanceRef, ...]]) -> None:
        root, refs = found
        if not refs:
            self.summary.setText(self.tr("That study is no longer in the library."))
            return
        self._start_session(root, refs)
        self.setWindowTitle(self.tr("Lightbox — library"))

    def _start_session(self, path: Path, known: tuple[InstanceRef, ...]) -> None:
        self.show_viewer()
        self._close_session()
        self.cache.clear()
        self.slices = None
        self.image_shown = False
        self.browser.set_tree(())
        self.viewport.show_message(self.tr("Reading {0}...").format(path))
        self.summary.setText(self.tr("Reading {0}...").format(path))
        self.setWindowTitle(self.tr("Lightbox — {0}").format(path.name or str(path)))
        session = ViewerSession(path, self.cache, known)
        session.opened.connect(self._on_opened)
        session.open_failed.connect(self._on_open_failed)
        session.tree_changed.connect(self._on_tree)
        session.frame_loaded.connect(self._on_frame_loaded)
        session.frame_failed.connect(self._on_frame_failed)
        session.thumbnail_loaded.connect(self.browser.set_thumbnail)
        session.identified.connect(self._on_identified)
        session.dataset_loaded.connect(self._on_dataset)
        session.document_loaded.connect(self._on_document)
        session.request_failed.connect(lambda message: self.summary.setText(message))
        self.session = session

    def _close_session(self) -> None:
        self.cine.stop()
        self.action_play.setChecked(False)
        if self.session is not None:
            self.session.close()
            self.session.deleteLater()
            self.session = None

    def _on_opened(self, disc: OpenedDisc) -> None:
        problems = len(disc.problems)
        if problems:
            self.summary.setText(
                self.tr("{0} files listed on this disc are missing or unreadable; "
                        "run a disc check (lightbox scan) for details.").format(problems)
            )
        else:
            self.summary.setText(self.tr("Reading images..."))
        if not disc.listed and not disc.unlisted:
            self._nothing_to_show(self.tr("No DICOM images were found here."))

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
                self._nothing_to_show(self.tr("No DICOM images were found here."))
            return
        self.progress.show()
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def _show_summary(self) -> None:
        if self.session is None:
            return
        patients = self.session.patients
        images = sum(s.instance_count for p in patients for s in p.studies)
        series = sum(len(s.series) for p in patients for s in p.studies)
        text = self.tr("{0} in {1} series").format(
            self.tr("1 image") if images == 1 else self.tr("{0} images").format(images), series
        )
        disc = self.session.disc
        if disc is not None and disc.problems:
            text += self.tr("; {0} listed files missing or unreadable").format(
                len(disc.problems)
            )
        self.summary.setText(text)

    def _on_tree(self, patients: tuple[PatientNode, ...]) -> None:
        current = self.slices.series.series_instance_uid if self.slices else ""
        self.browser.set_tree(patients, current)
        if self.session is not None:
            self.session.want_thumbnails(self.browser.all_series())
        if self.slices is None and patients:
            first = _default_series(patients)
            if first is not None:
                self.browser.select_series(first.series_instance_uid)
        elif self.slices is not None:
            # The series may have grown while files were being identified.
            self._refresh_series(patients)
        if self.progress.isHidden():
            self._show_summary()

    def _refresh_series(self, patients: tuple[PatientNode, ...]) -> None:
        assert self.slices is not None
        uid = self.slices.series.series_instance_uid
        for series in (s for p in patients for st in p.studies for s in st.series):
            if series.series_instance_uid == uid and len(series.instances) != len(
                self.slices.series.instances
            ):
                key = self.slices.current.key
                self.slices = SeriesSlices(series)
                keys = [s.key for s in self.slices.slices]
                self.slices.move_to(keys.index(key) if key in keys else 0)
                self._update_slider()

    # -- series and slices --------------------------------------------------------------
    def show_series(self, series: SeriesNode) -> None:
        if self.session is None:
            return
        self.cine.stop()
        self.action_play.setChecked(False)
        first = series.instances[0]
        if document_kind(first.sop_class_uid, series.modality):
            self.slices = None
            self.controls.hide()
            self.stack.setCurrentWidget(self.report_view)
            self.report_view.setPlainText(self.tr("Opening the report..."))
            self.session.want_document(first)
            return
        self.stack.setCurrentWidget(self.viewport)
        self.controls.show()
        self.slices = SeriesSlices(series)
        self.model.state = ViewportState()
        self.model.set_fit(True)
        self.direction = 1
        self._update_slider()
        self.show_current()
        self.session.prefetch_frames(self.slices.slices)

    def _update_slider(self) -> None:
        assert self.slices is not None
        self.slider.blockSignals(True)
        self.slider.setMaximum(max(0, len(self.slices) - 1))
        self.slider.setValue(self.slices.index)
        self.slider.blockSignals(False)

    def step(self, delta: int, wrap: bool = False) -> None:
        if self.slices is None:
            return
        self.direction = 1 if delta >= 0 else -1
        if self.slices.step(delta, wrap=wrap):
            self.show_current()

    def go_to(self, index: int) -> None:
        if self.slices is None:
            return
        self.direction = 1 if index >= self.slices.index else -1
        if self.slices.move_to(index):
            self.show_current()

    def _on_slider(self, value: int) -> None:
        self.go_to(value)

    def show_current(self) -> None:
        """Show the current slice if it is decoded; ask for it and its neighbours."""
        if self.slices is None or self.session is None:
            return
        current = self.slices.current
        wanted = [current, *self.slices.neighbours(self.direction, PREFETCH_AHEAD)]
        self.session.want_frames(wanted)
        self.slider.blockSignals(True)
        self.slider.setValue(self.slices.index)
        self.slider.blockSignals(False)
        loaded = self.cache.get(current.key)
        if loaded is not None:
            self._display(loaded)
            self._update_overlays()
        else:
            # Repainting the old image now would compete with its decoding for the
            # interpreter; the new position shows with the new image, or shortly.
            self._overlay_timer.start()

    def _display(self, loaded: LoadedFrame) -> None:
        previous = self.viewport.frame
        self.viewport.show_frame(loaded.frame)
        if previous is None or type(previous) is not type(loaded.frame):
            self._build_window_menu()

    def _on_frame_loaded(self, key: tuple[str, int], loaded: LoadedFrame) -> None:
        if self.slices is None:
            return
        path = key[0]
        if loaded.frames_in_file > 1 and self.slices.set_frame_count(path, loaded.frames_in_file):
            self._update_slider()
            if self.session is not None:
                self.session.prefetch_frames(self.slices.slices)
        if self.slices.current.key == key:
            self._overlay_timer.stop()
            self._display(loaded)
            self._update_overlays()

    def _on_frame_failed(self, key: tuple[str, int], message: str) -> None:
        if self.slices is not None and self.slices.current.key == key:
            self._nothing_to_show(message)
            self._update_overlays()

    def _on_painted(self) -> None:
        if not self.image_shown:
            self.image_shown = True
            self.first_image_shown.emit()

    # -- overlays -----------------------------------------------------------------------
    def _update_overlays(self) -> None:
        if self.slices is None:
            self.viewport.set_overlays([], [], [], [])
            return
        loaded = self.cache.get(self.slices.current.key)
        # The header of the image on screen knows more than a DICOMDIR record.
        ref = loaded.instance if loaded is not None else self.slices.current.instance
        series = self.slices.series
        if self.privacy:
            top_left = [self.tr("Name hidden (press P to show)")]
        else:
            top_left = [display_name(ref.patient_name) or self.tr("(no name)")]
            top_left.append(self.tr("ID {0}").format(ref.patient_id) if ref.patient_id else "")
            if ref.patient_birth_date:
                top_left.append(self.tr("Born {0}").format(display_date(ref.patient_birth_date)))
        number = ref.series_number if ref.series_number is not None else series.series_number
        series_text = f"{'' if number is None else number}  {ref.series_description}".strip()
        top_right = [
            f"{display_date(ref.study_date)}  {ref.study_description}".strip(),
            self.tr("Series {0}").format(series_text) if series_text else "",
        ]
        position = self.tr("Image {0} / {1}").format(self.slices.index + 1, len(self.slices))
        if ref.number_of_frames > 1 or self.slices.current.frame:
            position += self.tr("  (frame {0})").format(self.slices.current.frame + 1)
        bottom_left = [position]
        frame = self.viewport.frame
        if isinstance(frame, GreyFrame):
            resolved = frame.resolve(self.model.state.voi)
            if isinstance(resolved, Window):
                bottom_left.append(
                    self.tr("W {0:.0f}  L {1:.0f}").format(resolved.width, resolved.center)
                )
            elif isinstance(resolved, LookupTable):
                bottom_left.append(self.tr("VOI LUT from the file"))
        state = self.model.state
        bottom_right = [self.tr("Zoom {0:.0f}%").format(self.viewport.effective_zoom() * 100)]
        turns = []
        if state.rotation:
            turns.append(self.tr("rotated {0}°").format(state.rotation))
        if state.flip_h or state.flip_v:
            turns.append(self.tr("flipped"))
        if state.invert:
            turns.append(self.tr("inverted"))
        if turns:
            bottom_right.append(", ".join(turns))
        self.viewport.set_overlays(top_left, top_right, bottom_left, bottom_right)

    # -- view actions -------------------------------------------------------------------
    def _rotate(self, degrees: int) -> None:
        self.model.state = self.model.state.rotated(degrees)

    def _flip(self, axis: str) -> None:
        self.model.state = self.model.state.flipped("h" if axis == "h" else "v")

    def _reset_view(self) -> None:
        self.model.state = self.model.state.reset_view()
        self.model.set_fit(True)

    def _invert(self) -> None:
        self.model.state = self.model.state.toggled_invert()

    def _set_voi(self, voi: object) -> None:
        self.model.state = self.model.state.with_voi(voi)  # type: ignore[arg-type]

    def _toggle_wl_mode(self, checked: bool) -> None:
        self.viewport.window_level_mode = checked

    def _toggle_privacy(self, checked: bool) -> None:
        self.privacy = checked
        self.browser.set_privacy(checked)
        self._update_overlays()

    def _toggle_cine(self, checked: bool) -> None:
        if checked and self.slices is not None and len(self.slices) > 1:
            self.cine.start(int(1000 / self.fps.value()))
        else:
            self.cine.stop()
            self.action_play.setChecked(False)

    def _on_fps(self, value: int) -> None:
        self.settings.setValue("cine/fps", value)
        if self.cine.isActive():
            self.cine.start(int(1000 / value))

    # -- tags, reports, preferences -----------------------------------------------------
    def _show_tags(self) -> None:
        if self.slices is None or self.session is None:
            return
        self.session.want_dataset(self.slices.current.instance.path)

    def _on_dataset(self, path: str, dataset: object) -> None:
        if self._tag_browser is None:
            self._tag_browser = TagBrowser(self.privacy_state, self)
        self._tag_browser.show_dataset(path, dataset)
        self._tag_browser.show()
        self._tag_browser.raise_()

    def _on_document(self, path: str, document: Document) -> None:
        if not self.image_shown:
            self.nothing_to_show.emit(self.tr("This is a report, not an image."))
        if document.kind == "pdf":
            target = Path(self._temp_dir.name) / (Path(path).name + ".pdf")
            target.write_bytes(document.data)
            self.report_view.setPlainText(
                self.tr("This is a PDF report. It was opened in your PDF viewer.")
            )
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))
        else:
            self.report_view.setPlainText(document.text)

    def _preferences(self) -> None:
        dialog = PreferencesDialog(self.settings, self)
        if dialog.exec():
            self.cache.set_budget(cache_budget_bytes(self.settings))

    def _about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About Lightbox"),
            self.tr("Lightbox reads the discs radiology clinics hand out and shows the "
                    "images correctly.\n\nFree software under the GNU GPL, version 3 or later."),
        )

    # -- importing, uploading (the flows live in Transfers) -----------------------------
    def import_path(self, path: Path, start_now: bool = False) -> ImportDialog:
        """Show the import dialog for ``path`` (non-modal: the viewer stays usable)."""
        return self.transfers.import_path(path, start_now)

    def upload(self, study_uids: list[str], account_name: str) -> None:
        """Upload studies of the library (see Transfers.upload)."""
        self.transfers.upload(study_uids, account_name)

    def _import_open_disc(self) -> None:
        if self.session is not None and not self.session.reader.is_library:
            self.import_path(self.session.path)

    def _upload_open(self) -> None:
        """Upload what is in front of the user: on the library page the selected studies;
        in the viewer the study or disc on screen (a disc is imported first)."""
        if self.pages.currentWidget() is self.library_view or self.session is None:
            self.upload(self.library_view.selected_studies(), "")
        elif self.session.reader.is_library:
            self.upload(sorted({ref.study_instance_uid for ref in self.session.instances}), "")
        else:
            self.transfers.import_then_upload(self.session.path)

    def _refresh_library(self) -> None:
        if self.pages.currentWidget() is self.library_view:
            self.library_view.refresh()

    # -- recent items, drag and drop, closing -------------------------------------------
    def _remember_recent(self, path: Path) -> None:
        recent = [str(path.resolve())] + [
            p for p in self._recent() if p != str(path.resolve())
        ]
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

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.monitor.stop()
        self._close_session()
        self._temp_dir.cleanup()
        super().closeEvent(event)


def _study_refs(home: Path, study_uid: str) -> tuple[Path, tuple[InstanceRef, ...]]:
    with Library(home) as library:
        return library.store.root, tuple(library.study_instances(study_uid))


def _int_setting(settings: QSettings, key: str, default: int) -> int:
    try:
        return int(str(settings.value(key, default)))
    except ValueError:
        return default


def _default_series(patients: tuple[PatientNode, ...]) -> SeriesNode | None:
    """The series to show first: the largest image series of the first study."""
    for patient in patients:
        for study in patient.studies:
            images = [
                s for s in study.series
                if not document_kind(s.instances[0].sop_class_uid, s.modality)
            ]
            if images:
                return max(images, key=lambda s: len(s.instances))
            if study.series:
                return study.series[0]
    return None
