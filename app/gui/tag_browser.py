"""The DICOM tag browser: every element of the current image's header, for doctors."""

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from PySide6.QtWidgets import (
    QDialog,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.printable import printable
from app.gui.observe import observe
from app.services.privacy import Privacy

MAX_VALUE_CHARS = 200


def _value_text(element: object) -> str:
    value = getattr(element, "value", "")
    if isinstance(value, bytes):
        return f"({len(value):,} bytes)"
    # Escaped, not stripped: an inspector shows that a value holds ESC or a bidi override
    # (which would otherwise reorder the text on screen) rather than hide it.
    text = printable(str(value))
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


class TagBrowser(QDialog):
    """Every attribute of one header; with privacy on, every identifying one is masked
    (``Privacy.show_attribute``), and it redraws when privacy changes."""

    def __init__(self, privacy: Privacy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.privacy = privacy
        self._shown: tuple[str, Dataset] | None = None
        observe(self, privacy.changed, lambda _hidden: self._redraw())
        self.setWindowTitle(self.tr("DICOM tags"))
        self.resize(760, 620)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter by name, tag or value"))
        self.filter.setAccessibleName(self.tr("Filter tags"))
        self.filter.textChanged.connect(self._apply_filter)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([self.tr("Tag"), self.tr("Name"), self.tr("VR"),
                                   self.tr("Value")])
        self.tree.setAccessibleName(self.tr("DICOM tags of the current image"))
        self.tree.setColumnWidth(0, 110)
        self.tree.setColumnWidth(1, 220)
        self.tree.setColumnWidth(2, 40)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)

    def show_dataset(self, path: str, dataset: object) -> None:
        assert isinstance(dataset, Dataset)
        self._shown = (path, dataset)
        self._redraw()

    def _redraw(self) -> None:
        if self._shown is None:
            return
        path, dataset = self._shown
        # The file name may be the patient's name (some discs name files after them).
        shown_path = self.tr("this image") if self.privacy.hidden else printable(path)
        self.setWindowTitle(self.tr("DICOM tags — {0}").format(shown_path))
        self.tree.clear()
        meta = getattr(dataset, "file_meta", None)
        if meta is not None:
            self._add(self.tree.invisibleRootItem(), meta)
        self._add(self.tree.invisibleRootItem(), dataset)
        self._apply_filter(self.filter.text())

    def _add(self, parent: QTreeWidgetItem, dataset: Dataset) -> None:
        for element in dataset:
            tag = f"({element.tag.group:04X},{element.tag.element:04X})"
            name = element.name
            if element.VR == "SQ" and isinstance(element.value, Sequence):
                item = QTreeWidgetItem([tag, name, "SQ",
                                        self.tr("{0} items").format(len(element.value))])
                parent.addChild(item)
                for number, child in enumerate(element.value, start=1):
                    child_item = QTreeWidgetItem(["", self.tr("Item {0}").format(number), "", ""])
                    item.addChild(child_item)
                    self._add(child_item, child)
                continue
            value = self.privacy.show_attribute(str(element.keyword), str(element.VR),
                                                _value_text(element))
            parent.addChild(QTreeWidgetItem([tag, name, str(element.VR), value]))

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        root = self.tree.invisibleRootItem()
        for i in range(root.childCount()):
            child = root.child(i)
            if child is not None:
                self._filter_item(child, needle)

    def _filter_item(self, item: QTreeWidgetItem, needle: str) -> bool:
        visible_child = False
        for i in range(item.childCount()):
            child = item.child(i)
            if child is not None:
                visible_child = self._filter_item(child, needle) or visible_child
        matches = not needle or any(needle in item.text(c).casefold() for c in range(4))
        item.setHidden(not (matches or visible_child))
        if visible_child and needle:
            item.setExpanded(True)
        return matches or visible_child
