"""The pictures that may have writing in them (a name, a birth date), before a copy without
the patient's name is made: each one shown as the copy would carry it, and the user's
choice for it: leave it out (the default), black out the writing (a rule drawn once for
every picture of its kind), or include it as it is. The rules and the words come from
app.services.copy_review."""

from collections.abc import Iterator

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.gui.blackout_editor import BlackoutEditor
from app.gui.tasks import GeneratorTask, start_task
from app.gui.viewport import wrap_qimage
from app.services.copy_review import (
    BLACK_OUT,
    EXCLUDE,
    INCLUDE,
    BlackoutRule,
    Choice,
    Picture,
    Rectangle,
    ReviewImage,
    choice_for,
    choices_summary,
    places_words,
    plain_reason,
    review_intro,
    review_pictures,
    rule_for_image,
    shown_rectangles,
)
from app.services.library_service import LibraryService

THUMBNAIL_SIDE = 176
CHOICES: tuple[Choice, ...] = (EXCLUDE, BLACK_OUT, INCLUDE)


class ReviewRow(QFrame):
    """One picture: its thumbnail, what it is, why it is here, and the three choices."""

    chosen = Signal(str, str)  # SOP Instance UID, choice
    draw_requested = Signal(str)  # SOP Instance UID

    def __init__(self, image: ReviewImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = image
        self.choice: Choice = EXCLUDE
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.thumbnail = QLabel(self.tr("Loading..."))
        self.thumbnail.setFixedSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setWordWrap(True)
        self.thumbnail.setStyleSheet("background: #202020; color: #e0e0e0;")
        self.thumbnail.setAccessibleName(self.tr("The picture as the copy would carry it"))
        self._pixels: np.ndarray | None = None
        title = QLabel(image.label)
        bold = QFont(title.font())
        bold.setBold(True)
        title.setFont(bold)
        reason = QLabel(self.tr(plain_reason(image)))
        reason.setWordWrap(True)
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.group = QButtonGroup(self)
        self.buttons: dict[Choice, QRadioButton] = {
            EXCLUDE: QRadioButton(self.tr("Leave it out of the copy")),
            BLACK_OUT: QRadioButton(self.tr("Black out the writing")),
            INCLUDE: QRadioButton(self.tr("Include it as it is (I checked it)")),
        }
        for choice in CHOICES:
            button = self.buttons[choice]
            button.setAccessibleName(f"{button.text()}: {image.label}")
            self.group.addButton(button)
            button.clicked.connect(lambda _=False, c=choice: self._clicked(c))
        self.draw_button = QPushButton(self.tr("Draw the places..."))
        self.draw_button.clicked.connect(lambda: self.draw_requested.emit(
            self.image.sop_instance_uid))
        choices = QGridLayout()
        choices.addWidget(self.buttons[EXCLUDE], 0, 0)
        choices.addWidget(self.buttons[BLACK_OUT], 1, 0)
        choices.addWidget(self.draw_button, 1, 1)
        choices.addWidget(self.buttons[INCLUDE], 2, 0)
        choices.setColumnStretch(2, 1)
        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(reason)
        text.addLayout(choices)
        text.addWidget(self.state)
        text.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.thumbnail, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(text, 1)

    def _clicked(self, choice: Choice) -> None:
        self.chosen.emit(self.image.sop_instance_uid, choice)

    def show_choice(self, choice: Choice, rule: BlackoutRule | None) -> None:
        self.choice = choice
        self.buttons[choice].setChecked(True)
        self.draw_button.setText(self.tr("Change the places...") if rule is not None
                                 else self.tr("Draw the places..."))
        if choice == EXCLUDE:
            self.state.setText(self.tr("The copy will not have this picture."))
        elif choice == INCLUDE:
            self.state.setText(self.tr(
                "The copy will have this picture exactly as it is, with any writing in it."))
        else:
            count = len(rule.rectangles) if rule is not None else 0
            self.state.setText(self.tr(
                "The copy will have this picture with {0} blacked out, as every picture of "
                "this kind ({1}).").format(places_words(count), self.image.kind))

    def show_loading(self) -> None:
        self._pixels = None
        self.thumbnail.clear()
        self.thumbnail.setText(self.tr("Loading..."))

    def show_picture(self, picture: Picture | str) -> None:
        if isinstance(picture, str):
            self.thumbnail.setText(picture)
            return
        self._pixels = np.ascontiguousarray(picture.pixels)
        self.thumbnail.setPixmap(QPixmap.fromImage(wrap_qimage(self._pixels).copy()))


class BurnedInReview(QWidget):
    """The list of pictures to decide about; ``choices()`` is what the copy should do."""

    changed = Signal()

    def __init__(self, library: LibraryService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.images: list[ReviewImage] = []
        self.rules: list[BlackoutRule] = []
        self.rows: dict[str, ReviewRow] = {}
        self._explicit: dict[str, Choice] = {}
        self._task: GeneratorTask | None = None
        self.loaded: set[str] = set()
        # The rectangles each picture is (being) drawn with.
        self.shown: dict[str, tuple[Rectangle, ...]] = {}
        self.editor: BlackoutEditor | None = None
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.list_widget = QWidget()
        self.list_layout = QVBoxLayout(self.list_widget)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.list_widget)
        scroll.setAccessibleName(self.tr("Pictures that may have writing in them"))
        self.all_out = QPushButton(self.tr("Leave them &all out"))
        self.all_out.clicked.connect(lambda: self.choose_all(EXCLUDE))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.all_out)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.intro)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)

    def set_images(self, images: list[ReviewImage], rules: list[BlackoutRule]) -> None:
        self.stop()
        self.images, self.rules = list(images), list(rules)
        self._explicit = {}
        self.loaded = set()
        self.shown = {}
        while self.list_layout.count():
            item = self.list_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.rows = {}
        self.intro.setText(self.tr(review_intro(len(images))))
        for image in images:
            row = ReviewRow(image)
            row.chosen.connect(self._on_chosen)
            row.draw_requested.connect(self.draw)
            self.list_layout.addWidget(row)
            self.rows[image.sop_instance_uid] = row
        self.list_layout.addStretch(1)
        self._show_choices()

    def choices(self) -> dict[str, Choice]:
        """SOP Instance UID -> what the copy does with that picture."""
        return {image.sop_instance_uid: choice_for(
            image, self.rules, self._explicit.get(image.sop_instance_uid))
            for image in self.images}

    def choose_all(self, choice: Choice) -> None:
        for image in self.images:
            self._explicit[image.sop_instance_uid] = choice
        self._show_choices()

    def _on_chosen(self, uid: str, choice: str) -> None:
        image = self.rows[uid].image
        if choice == BLACK_OUT:
            self._explicit.pop(uid, None)
            if rule_for_image(image, self.rules) is None:
                self._show_choices()  # Stays as it was until a rule is saved.
                self.draw(uid)
                return
        else:
            self._explicit[uid] = EXCLUDE if choice == EXCLUDE else INCLUDE
        self._show_choices()

    def _show_choices(self) -> None:
        choices = self.choices()
        for uid, row in self.rows.items():
            row.show_choice(choices[uid], rule_for_image(row.image, self.rules))
        self.summary.setText(self.tr("In the copy: {0}.").format(
            choices_summary(choices.values())) if choices else "")
        # Each picture shows what the copy gets: blacked out or as it is.
        stale = [image for image in self.images
                 if self.shown.get(image.sop_instance_uid) != self._wanted(image)]
        if stale:
            self._load_pictures(stale)
        self.changed.emit()

    def _wanted(self, image: ReviewImage) -> tuple[Rectangle, ...]:
        choice = choice_for(image, self.rules, self._explicit.get(image.sop_instance_uid))
        return shown_rectangles(image, choice, self.rules)

    def draw(self, uid: str) -> None:
        """Open the editor on this picture; a saved rule blacks out its whole kind."""
        image = self.rows[uid].image
        editor = BlackoutEditor(self.library, image, rule_for_image(image, self.rules), self)
        editor.rule_saved.connect(self._on_rule_saved)
        editor.setModal(True)
        self.editor = editor
        editor.finished.connect(lambda _code: setattr(self, "editor", None))
        editor.show()

    def _on_rule_saved(self, rule: BlackoutRule) -> None:
        self.rules = [r for r in self.rules if r.key != rule.key] + [rule]
        for image in self.images:
            # The rule is for every picture of its kind: those left out by default (or
            # on purpose) are now blacked out; one included as it is stays so.
            if image.key == rule.key and self._explicit.get(image.sop_instance_uid) == EXCLUDE:
                del self._explicit[image.sop_instance_uid]
        self._show_choices()

    def _load_pictures(self, images: list[ReviewImage]) -> None:
        """Draw these pictures as the copy gets them (then whatever an earlier, stopped
        round had not reached yet)."""
        self.stop()
        wanted = {image.sop_instance_uid: (image, self._wanted(image)) for image in images}
        for image in self.images:
            uid = image.sop_instance_uid
            if uid not in wanted and uid not in self.loaded:
                wanted[uid] = (image, self._wanted(image))
        for uid, (_image, rectangles) in wanted.items():
            self.shown[uid] = rectangles
            self.rows[uid].show_loading()
        self.loaded -= set(wanted)
        library, items = self.library, list(wanted.values())

        def job() -> Iterator[tuple[str, tuple[Rectangle, ...], Picture | str]]:
            yield from review_pictures(library, items, THUMBNAIL_SIDE)

        task = GeneratorTask(job, lambda _item: False)
        task.signals.progressed.connect(self._on_picture)
        self._task = start_task(task)

    def _on_picture(self, item: tuple[str, tuple[Rectangle, ...], Picture | str]) -> None:
        uid, rectangles, picture = item
        row = self.rows.get(uid)
        if row is not None and self.shown.get(uid) == rectangles:
            row.show_picture(picture)
            self.loaded.add(uid)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def pictures_loaded(self) -> bool:
        """True when every row shows its picture (or why it has none)."""
        return set(self.rows) <= self.loaded
