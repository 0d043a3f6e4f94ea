""""Compare with previous" in the library: finds the earlier study of the selected one
(services.priors decides; this only asks and passes on), asks about a study that may be
the same person, and opens the pair on the compare page, the best matching series
(services.series_matching) side by side."""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.models import InstanceRef, SeriesNode, build_tree
from app.gui.compare_view import SeriesOffer, find_series, show_compare
from app.gui.tasks import GeneratorTask, run_in_background
from app.services.library_service import LibraryService
from app.services.prior_lookup import PriorStudy, compare_action_state, confirmation_question
from app.services.privacy import Privacy
from app.services.series_matching import SeriesMatch, no_match_sentence
from app.services.viewer_model import OpenSource

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

Contents = tuple[Path, list[InstanceRef]]


class ComparePrior(QObject):
    """The priors of the study selected in the library, kept up to date off the UI
    thread, and the choice of the one to compare with."""

    # Whether "Compare with previous" can be pressed, and its tooltip.
    state_changed = Signal(bool, str)
    # The current study's UID and the earlier one's: open them side by side.
    chosen = Signal(str, str)

    def __init__(self, library: Callable[[], LibraryService], privacy: Privacy,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self._library = library
        self._privacy = privacy
        self._parent = parent
        self._task: GeneratorTask | None = None
        self.study = ""
        self.priors: list[PriorStudy] | None = None
        # Asks whether a suggested prior is the same person: True, False, or None to stop
        # (replaced in tests).
        self.ask: Callable[[PriorStudy], bool | None] = self._ask

    def look(self, study_uid: str) -> None:
        """Find the priors of ``study_uid`` ("" when not one study is selected)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.study, self.priors = study_uid, None
        self._announce()
        if not study_uid:
            return
        library = self._library()
        self._task = run_in_background(lambda: library.prior_studies(study_uid),
                                       lambda found: self._found(study_uid, found),
                                       lambda _sentence: self._found(study_uid, []))

    def _found(self, study_uid: str, priors: list[PriorStudy]) -> None:
        if study_uid != self.study:
            return
        self._task = None
        self.priors = priors
        self._announce()

    def _announce(self) -> None:
        enabled, why = compare_action_state(self.priors if self.study else None)
        self.state_changed.emit(enabled, self.tr(why))

    def compare(self) -> None:
        """Choose the earlier study: the most recent one of the same patient, asking
        first about each more recent one that may be the same person."""
        if not self.study or not self.priors:
            return
        library = self._library()
        decided = False
        try:
            for prior in list(self.priors):
                if prior.needs_confirmation:
                    answer = self.ask(prior)
                    if answer is None:
                        return
                    decided = True
                    if not answer:
                        library.reject_same_patient(self.study, prior.study_instance_uid)
                        continue
                    library.confirm_same_patient(self.study, prior.study_instance_uid)
                self.chosen.emit(self.study, prior.study_instance_uid)
                return
        finally:
            if decided:
                self.look(self.study)  # What the user said changes the list.

    def _ask(self, prior: PriorStudy) -> bool | None:
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Same person?"),
                          self.tr(confirmation_question(prior, self._privacy.show)),
                          QMessageBox.StandardButton.NoButton, self._parent)
        same = box.addButton(self.tr("Same person"), QMessageBox.ButtonRole.YesRole)
        different = box.addButton(self.tr("Different people"), QMessageBox.ButtonRole.NoRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setInformativeText(self.tr(
            "Nothing is merged: your answer only decides which earlier studies are offered "
            "for comparison."))
        box.exec()
        clicked = box.clickedButton()
        return True if clicked is same else False if clicked is different else None


def _offer(uid: str, contents: Contents) -> SeriesOffer:
    root, refs = contents
    return SeriesOffer(OpenSource("library", root, uid), tuple(refs), build_tree(tuple(refs)))


def _first_series(offer: SeriesOffer) -> SeriesNode | None:
    return next((series for patient in offer.patients for study in patient.studies
                 for series in study.series), None)


def open_pair(window: "MainWindow", current_uid: str, prior_uid: str) -> GeneratorTask:
    """Show two library studies on the compare page: the best matching pair of series
    (the current study's on the left), or each study's first series when none match;
    the reason goes to the status bar, and every series of both to the Studies dock.
    Keep the returned task while it runs."""
    library = window.library

    def read() -> tuple[Contents, Contents, list[SeriesMatch]]:
        return (library.study_contents(current_uid), library.study_contents(prior_uid),
                library.matching_series(current_uid, prior_uid))

    def show(found: tuple[Contents, Contents, list[SeriesMatch]]) -> None:
        current_contents, prior_contents, matches = found
        if not current_contents[1] or not prior_contents[1]:
            window.summary.setText(window.tr("That study is no longer in the library."))
            return
        current, prior = _offer(current_uid, current_contents), _offer(prior_uid,
                                                                        prior_contents)
        left, right = _first_series(current), _first_series(prior)
        reason = ""
        if matches:
            best = matches[0]
            left = find_series(current.patients, best.current.series_uid) or left
            right = find_series(prior.patients, best.prior.series_uid) or right
            reason = best.reason_in(window.user_mode.shows_plain_words)
        if left is None or right is None:
            return
        page = show_compare(window)
        page.set_offers([current, prior])  # both studies' series, to drag onto a side
        page.show_series(0, current, left)
        page.show_series(1, prior, right)
        window.summary.setText(window.tr(reason) if reason else window.tr(
            no_match_sentence(window.user_mode.shows_plain_words)))

    return run_in_background(read, show, window.summary.setText)
