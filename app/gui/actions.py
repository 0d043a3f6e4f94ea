"""Menus and keys of the main window, and the F1 help made from them (so it cannot go
stale: a key that is not an action does not exist, and every action's key is listed)."""

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from app.imaging.luts import Window
from app.imaging.presets import WindowChoice

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

HELP_INTRO = (
    "Lightbox shows the pictures on a disc from your clinic. On the left are the people, "
    "visits (studies) and sets of pictures (series) found; click a series to see it. The "
    "first picture shows as soon as it is read; the others follow in the background.",
    "Scroll with the mouse wheel or the arrow keys, drag with the right button to make the "
    "picture lighter or darker, and use the menus, or the keys below, for everything else. "
    "Press P to hide the patient's name on screen, O to hide the text in the corners.",
)


def add_action(owner: QWidget, menu: QMenu, text: str, shortcut: QKeySequence | str | None,
               slot: Callable[..., object], checkable: bool = False) -> QAction:
    """An action in ``menu`` whose key works even when the menu bar is hidden."""
    action = QAction(text, owner)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    action.triggered.connect(slot)
    menu.addAction(action)
    owner.addAction(action)
    return action


def build_menus(w: "MainWindow") -> None:
    """Every menu of the main window (the Window menu is filled by fill_window_menu)."""
    bar = w.menuBar()
    key = QKeySequence.StandardKey
    v = w.viewer
    file_menu = bar.addMenu(w.tr("&File"))
    add_action(w, file_menu, w.tr("Open &folder or disc..."), QKeySequence(key.Open),
               w.open_folder)
    add_action(w, file_menu, w.tr("Open f&ile (ISO, ZIP, DICOMDIR, image)..."),
               "Ctrl+Shift+O", w.open_file)
    w.recent_menu = file_menu.addMenu(w.tr("Open &recent"))
    file_menu.addSeparator()
    add_action(w, file_menu, w.tr("&Import disc or folder..."), "Ctrl+I",
               w.transfers.import_folder)
    add_action(w, file_menu, w.tr("Import ISO or &ZIP file..."), "Ctrl+Alt+I",
               w.transfers.import_file)
    add_action(w, file_menu, w.tr("Import the &open disc"), "Ctrl+Shift+I", w.import_open_disc)
    add_action(w, file_menu, w.tr("&Upload selected or open..."), "Ctrl+U", w.upload_open)
    add_action(w, file_menu, w.tr("Send selected or open to &PACS..."), "Ctrl+Shift+U",
               w.send_open)
    add_action(w, file_menu, w.tr("&Export a copy..."), "Ctrl+E", w.export_open)
    add_action(w, file_menu, w.tr("Share a copy &without my name..."), None,
               w.share_copy_open)
    add_action(w, file_menu, w.tr("&Save PDF report as..."), "Ctrl+Shift+S",
               lambda: w.page.save_pdf())
    w.action_save_image = add_action(w, file_menu, w.tr("Save ima&ge as..."), "Ctrl+S",
                                     w.images.save_as)
    file_menu.addAction(w.annotation_tools.save_gsps)
    file_menu.addSeparator()
    add_action(w, file_menu, w.tr("&Preferences..."), "Ctrl+,", w.preferences)
    add_action(w, file_menu, w.tr("&Accounts and PACS..."), None, w.change_accounts)
    add_action(w, file_menu, w.tr("&Quit"), QKeySequence(key.Quit), w.close)

    edit = bar.addMenu(w.tr("&Edit"))
    # Ctrl+C copies the picture only while the picture has the keyboard: in a text field
    # or the report it still copies the text.
    w.action_copy_image = QAction(w.tr("&Copy image"), w)
    w.action_copy_image.setShortcut(QKeySequence(key.Copy))
    w.action_copy_image.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    w.action_copy_image.triggered.connect(w.images.copy)
    edit.addAction(w.action_copy_image)
    w.viewport.addAction(w.action_copy_image)
    w.images.watch(w.action_save_image, w.action_copy_image)
    w.annotation_tools.add_edit_actions(edit)
    for menu in (file_menu, edit):
        menu.setToolTipsVisible(True)

    view = bar.addMenu(w.tr("&View"))
    w.action_library = add_action(w, view, w.tr("&Library"), "Ctrl+B", w.toggle_library,
                                  checkable=True)
    add_action(w, view, w.tr("&Compare side by side"), "Ctrl+K", w.show_compare)
    view.addSeparator()
    add_action(w, view, w.tr("Zoom &in"), "Ctrl+=", lambda: v.zoom_by(1.25))
    add_action(w, view, w.tr("Zoom &out"), "Ctrl+-", lambda: v.zoom_by(0.8))
    add_action(w, view, w.tr("&Fit to window"), "F", lambda: v.set_fit(True))
    add_action(w, view, w.tr("&Actual size (1:1)"), "Ctrl+1", v.actual_size)
    view.addSeparator()
    add_action(w, view, w.tr("Rotate &right"), "R", lambda: v.rotate(90))
    add_action(w, view, w.tr("Rotate &left"), "L", lambda: v.rotate(-90))
    add_action(w, view, w.tr("Flip &horizontally"), "H", lambda: v.flip("h"))
    add_action(w, view, w.tr("Flip &vertically"), "V", lambda: v.flip("v"))
    add_action(w, view, w.tr("&Reset view"), "Ctrl+R", v.reset_view)
    view.addSeparator()
    w.action_overlay = add_action(w, view, w.tr("Show text &over the image"), "O",
                                  v.set_overlay_visible, checkable=True)
    w.action_overlay.setChecked(v.overlay_visible)
    w.action_privacy = add_action(w, view, w.tr("&Hide patient name"), "P",
                                  w.privacy.set_hidden, checkable=True)
    w.action_tags = add_action(w, view, w.tr("DICOM &tags..."), "Ctrl+T", w.show_tags)
    view.addAction(w.action_measurements)
    view.addMenu(w.presentation_menu)
    w.view_modes.add_view_actions(view)
    view.setToolTipsVisible(True)  # says why the presentation states' menu is disabled

    w.window_menu = bar.addMenu(w.tr("&Window"))
    fill_window_menu(w, v.window_choices())

    image = bar.addMenu(w.tr("&Image"))
    for text, shortcut, slot in (
        (w.tr("&Next image"), "Down", lambda: v.step(1)),
        (w.tr("&Previous image"), "Up", lambda: v.step(-1)),
        (w.tr("Next image (right)"), "Right", lambda: v.step(1)),
        (w.tr("Previous image (left)"), "Left", lambda: v.step(-1)),
        (w.tr("Ten images forward"), "PgDown", lambda: v.page(1)),
        (w.tr("Ten images back"), "PgUp", lambda: v.page(-1)),
        (w.tr("&First image"), "Home", v.first),
        (w.tr("&Last image"), "End", v.last),
    ):
        add_action(w, image, text, shortcut, slot)
    image.addSeparator()
    add_action(w, image, w.tr("Next &series"), "Ctrl+Down", lambda: v.step_series(1))
    add_action(w, image, w.tr("Previous s&eries"), "Ctrl+Up", lambda: v.step_series(-1))
    image.addSeparator()
    w.action_play = add_action(w, image, w.tr("&Play / pause"), "Space", v.set_playing,
                               checkable=True)
    add_action(w, image, w.tr("Play &faster"), "]", lambda: v.set_fps(v.fps + 2))
    add_action(w, image, w.tr("Play &slower"), "[", lambda: v.set_fps(v.fps - 2))

    w.annotation_tools.add_measure_menu(bar)

    help_menu = bar.addMenu(w.tr("&Help"))
    add_action(w, help_menu, w.tr("&Keys and how to use this window"), "F1", w.show_help)
    help_menu.addAction(w.view_modes.glossary_action)
    add_action(w, help_menu, w.tr("&About Lightbox"), None, w.about)


def fill_window_menu(w: "MainWindow", choices: list[WindowChoice]) -> None:
    """The Window menu for the frame on screen: only windows that fit it."""
    menu = w.window_menu
    for action in menu.actions():
        w.removeAction(action)  # Old shortcuts must not linger on the window.
    menu.clear()
    w.action_wl_mode = add_action(w, menu, w.tr("&Window/level with left button"), "W",
                                  w.set_window_level_mode, checkable=True)
    w.action_wl_mode.setChecked(w.viewport.window_level_mode)
    menu.addSeparator()
    add_action(w, menu, w.tr("File's own window"), "0", w.viewer.file_window)
    for choice in choices:
        text = choice.label
        if choice.kind == "preset" and isinstance(choice.voi, Window):
            text = f"{choice.label} ({choice.voi.center:g} / {choice.voi.width:g})"
        shortcut = str(choice.key) if choice.key is not None else None
        action = add_action(w, menu, text, shortcut,
                            lambda _=False, c=choice: w.viewer.choose_window(c))
        if choice.kind == "min-max":
            action.setShortcuts([QKeySequence(k) for k in ("M", shortcut) if k])
        action.setToolTip(choice.explanation)
    menu.addSeparator()
    add_action(w, menu, w.tr("&Invert"), "I", w.viewer.invert)


def key_help(bar: QMenuBar) -> str:
    """HTML: the two paragraphs, then every key of every menu, menu by menu."""
    parts = [f"<p>{escape(p)}</p>" for p in HELP_INTRO]
    for menu_action in bar.actions():
        menu = menu_action.menu()
        if not isinstance(menu, QMenu):
            continue
        rows = _key_rows(menu)
        if rows:
            title = menu_action.text().replace("&", "")
            parts.append(f"<h4>{escape(title)}</h4><table>{''.join(rows)}</table>")
    return "".join(parts)


def _key_rows(menu: QMenu) -> list[str]:
    rows = []
    for action in menu.actions():
        sub = action.menu()
        if isinstance(sub, QMenu):
            rows += _key_rows(sub)
            continue
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            text = action.text().replace("&", "")
            rows.append(f"<tr><td><b>{escape(keys)}</b>&nbsp;&nbsp;</td>"
                        f"<td>{escape(text)}</td></tr>")
    return rows
