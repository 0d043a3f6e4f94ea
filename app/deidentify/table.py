"""PS3.15 Table E.1-1, the Basic Profile's action for each attribute, as data.

The table is not written here by hand: it is the one dicom-anonymizer (2.1.0) carries,
transcribed from the standard up to edition 2026c, read through that package's own
selector. Only its data is used; its policy (what a "D" becomes, dates set to 00010101,
no Patient Identity Removed) is not, so nothing of its anonymizing code runs.

dicom-anonymizer groups tags by action code, one list per combination (``X_Z_D_TAGS``...):
each list name is parsed into the set of codes the standard allows for those attributes,
so a new combination in a later edition is understood without changes here, and a list
name that cannot be understood stops the import instead of leaving attributes untreated.
"""

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from dicomanonymizer.dicomfields_selector import (
    ANONYMIZATION_CATEGORIES,
    dicom_anonymization_database_selector,
)
from pydicom.tag import BaseTag

# The edition of Table E.1-1 the package transcribed (written into De-identification Method).
TABLE_EDITION = "2026c"
_DATABASE = "dicomfields_2026c"

REMOVE = "X"  # remove the attribute
EMPTY = "Z"  # zero length (or a dummy value)
DUMMY = "D"  # a non-zero length dummy value consistent with the VR
NEW_UID = "U"  # a new UID, consistent within the set of instances
NEW_UIDS_IN_SEQUENCE = "U*"  # keep the sequence, with its referenced UIDs replaced (U)
_CODES = frozenset({REMOVE, EMPTY, DUMMY, NEW_UID, NEW_UIDS_IN_SEQUENCE})


@dataclass(frozen=True)
class _Pattern:
    """A repeating-group row (curves 50xx, overlays 60xx): the bits of group and element
    that must match, as dicom-anonymizer writes them."""

    group: int
    element: int
    group_mask: int
    element_mask: int
    codes: frozenset[str]

    def matches(self, tag: BaseTag) -> bool:
        return ((tag.group & self.group_mask) == (self.group & self.group_mask)
                and (tag.element & self.element_mask) == (self.element & self.element_mask))


class ProfileTable:
    """The Basic Profile's allowed action codes for every attribute Table E.1-1 lists."""

    def __init__(self, exact: dict[int, frozenset[str]], patterns: list[_Pattern]) -> None:
        self._exact = exact
        self._patterns = patterns

    def codes(self, tag: BaseTag) -> frozenset[str] | None:
        """The action codes for ``tag`` (e.g. {"X", "Z", "D"}), or None when the table
        does not list it (the Basic Profile then keeps the attribute)."""
        found = self._exact.get(int(tag))
        if found is not None:
            return found
        for pattern in self._patterns:
            if pattern.matches(tag):
                return pattern.codes
        return None

    def tags(self) -> Iterator[int]:
        """Every exactly listed tag (not the 50xx/60xx patterns)."""
        yield from self._exact

    def patterns(self) -> Iterator[tuple[int, int, int, int, frozenset[str]]]:
        """The repeating-group rows: (group, element, group mask, element mask, codes)."""
        for p in self._patterns:
            yield p.group, p.element, p.group_mask, p.element_mask, p.codes

    def __len__(self) -> int:
        return len(self._exact) + len(self._patterns)


def parse_category(name: str) -> frozenset[str]:
    """The action codes of one of dicom-anonymizer's lists: "X_Z_U_STAR_TAGS" ->
    {"X", "Z", "U*"}. ValueError for a name that does not read as action codes."""
    if not name.endswith("_TAGS"):
        raise ValueError(f"not an action list: {name}")
    codes: list[str] = []
    for part in name.removesuffix("_TAGS").split("_"):
        if part == "STAR" and codes:
            codes[-1] += "*"
        else:
            codes.append(part)
    if not codes or not set(codes) <= _CODES:
        raise ValueError(f"not an action list: {name}")
    return frozenset(codes)


@functools.cache
def basic_profile() -> ProfileTable:
    """Table E.1-1 (edition TABLE_EDITION), loaded once."""
    lists = dicom_anonymization_database_selector(_DATABASE)
    exact: dict[int, frozenset[str]] = {}
    patterns: list[_Pattern] = []
    for category in ANONYMIZATION_CATEGORIES:
        if category == "ALL_TAGS":  # The union of the others, without their actions.
            continue
        codes = parse_category(category)
        for entry in lists[category]:
            if len(entry) == 2:
                tag = (entry[0] << 16) | entry[1]
                # A tag listed twice keeps every code it was given (none is known to be).
                exact[tag] = exact.get(tag, frozenset()) | codes
            elif len(entry) == 4:
                group, element, group_mask, element_mask = entry
                patterns.append(_Pattern(group, element, group_mask, element_mask, codes))
            else:
                raise ValueError(f"dicom-anonymizer's {category} holds an unknown row {entry}")
    return ProfileTable(exact, patterns)
