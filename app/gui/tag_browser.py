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

MAX_VALUE_CHARS = 200
# Hidden with the patient name when privacy is on.
PRIVATE_KEYWORDS = frozenset(
    {"PatientName", "PatientID", "PatientBirthDate", "OtherPatientIDs", "OtherPatientNames",
     "PatientAddress", "PatientTelephoneNumbers", "PatientMotherBirthName"}
)


def _value_text(element: object) -> str:
    value = getattr(element, "value", "")
    if isinstance(value, bytes):
        return f"({len(value):,} bytes)"
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


class TagBrowser(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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

    def show_dataset(self, path: str, dataset: object, hide_names: bool) -> None:
        assert isinstance(dataset, Dataset)
        self.setWindowTitle(self.tr("DICOM tags — {0}").format(path))
        self.tree.clear()
        meta = getattr(dataset, "file_meta", None)
        if meta is not None:
            self._add(self.tree.invisibleRootItem(), meta, hide_names)
        self._add(self.tree.invisibleRootItem(), dataset, hide_names)
        self._apply_filter(self.filter.text())

    def _add(self, parent: QTreeWidgetItem, dataset: Dataset, hide_names: bool) -> None:
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
                    self._add(child_item, child, hide_names)
                continue
            hidden = hide_names and element.keyword in PRIVATE_KEYWORDS
            value = self.tr("(hidden)") if hidden else _value_text(element)
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
