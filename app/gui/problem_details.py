"""Problems with a medium, as the import dialog and the viewer show them: the plain
sentences first, the files behind a "Details" disclosure, grouped by kind."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.models import Problem
from app.services.disc_words import heading
from app.services.problem_words import ProblemGroup, group_problems


class Disclosure(QWidget):
    """A "Details" button that shows or hides a tree of grouped files."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = QToolButton()
        self.button.setText(self.tr("Details"))
        self.button.setCheckable(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setArrowType(Qt.ArrowType.RightArrow)
        self.button.toggled.connect(self._toggled)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName(accessible_name)
        self.tree.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.tree, 1)

    def _toggled(self, shown: bool) -> None:
        self.button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.tree.setVisible(shown)

    def set_groups(self, groups: list[ProblemGroup], plain: bool = False) -> None:
        """Show ``groups``; ``plain`` (the simple view for patients) heads them without the
        format's names (app.services.disc_words.heading)."""
        self.tree.clear()
        for group in groups:
            top = QTreeWidgetItem([heading(group, plain)])
            top.setToolTip(0, group.sentence)
            self.tree.addTopLevelItem(top)
            details = {d.detail for d in group.details}
            one_detail = next(iter(details)) if len(details) == 1 else ""
            for detail in group.details:
                # Many files for one reason: the heading says it; the reason repeated on
                # each of 378 lines would drown the file names.
                many_alike = one_detail and group.count > 1
                text = detail.path if many_alike else f"{detail.path}: {detail.detail}"
                item = QTreeWidgetItem([text])
                item.setToolTip(0, detail.detail)
                top.addChild(item)
        self.setVisible(bool(groups))

    def groups(self) -> list[tuple[str, int]]:
        """(heading, number of files) per group, as shown."""
        result = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None:
                result.append((item.text(0), item.childCount()))
        return result


class ProblemBar(QWidget):
    """The sentences of each group of problems, one a line, with their Details."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sentences = QLabel()
        self.sentences.setWordWrap(True)
        self.sentences.setAccessibleName(self.tr("Problems with this disc"))
        self.sentences.setStyleSheet("font-weight: bold")
        self.details = Disclosure(self.tr("Problems found on the disc, by kind"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.sentences)
        layout.addWidget(self.details)
        self.details.tree.setMaximumHeight(180)  # The image keeps most of the page.
        # The medium's problems, said again in the other view's words on a switch.
        self.problems: tuple[Problem, ...] = ()
        self.listed: int | None = None
        self.plain_words = False  # the simple view for patients: no format's names
        self.hide()

    def set_groups(self, groups: list[ProblemGroup]) -> None:
        self.sentences.setText("\n".join(group.sentence for group in groups))
        self.details.set_groups(groups, self.plain_words)
        self.setVisible(bool(groups))

    def set_problems(self, problems: tuple[Problem, ...], listed: int | None = None) -> None:
        """Group and show ``problems`` of a medium whose directory lists ``listed`` images
        (app.services.problem_words.group_problems), in the current view's words."""
        self.problems, self.listed = problems, listed
        self.set_groups(group_problems(problems, listed=listed, plain=self.plain_words))

    def set_plain_words(self, plain: bool) -> None:
        """Name the problems without the format's names (the simple view for patients)."""
        if plain != self.plain_words:
            self.plain_words = plain
            if self.problems:
                self.set_problems(self.problems, self.listed)
