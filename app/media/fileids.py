"""Turn a DICOMDIR's Referenced File ID into a file on the medium, safely and tolerantly.

A File ID is untrusted input. It is resolved against the listing of the medium, never
against the file system, so a hostile ``..``, an absolute path or a symbolic link cannot
make Lightbox open anything outside the disc. Then the quirks of real discs are
forgiven: names lowercased by the Linux iso9660 driver, ``.dcm`` added by a burner,
extensions missing, ``;1`` version suffixes and trailing dots from plain ISO 9660.
"""

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from app.media.sources import MediaEntry

_VERSION_SUFFIX = re.compile(r";\d*$")


def loose_key(path: str) -> str:
    """The form of a path under which tolerated spellings of one name compare equal."""
    parts = []
    for part in path.split("/"):
        part = _VERSION_SUFFIX.sub("", part).rstrip(". ").casefold()
        if part.endswith(".dcm"):
            part = part[:-4]
        parts.append(part)
    return "/".join(parts)


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving one File ID.

    ``status`` is ``found`` (``entry`` is set), ``missing``, or ``outside`` (the ID leads
    outside the medium). ``path`` is the media-relative path the ID names, for reports.
    """

    status: Literal["found", "missing", "outside"]
    path: str
    entry: MediaEntry | None = None


class FileIdResolver:
    """Resolves File IDs against one medium's listing."""

    def __init__(self, entries: Iterable[MediaEntry]) -> None:
        self._entries = list(entries)
        self._exact = {entry.path: entry for entry in self._entries}
        self._folded: dict[str, MediaEntry] | None = None
        self._loose: dict[str, MediaEntry] | None = None

    def _tolerant_match(self, path: str) -> MediaEntry | None:
        # Built on first need: a well-made disc never gets here.
        if self._folded is None or self._loose is None:
            self._folded, self._loose = {}, {}
            for entry in self._entries:
                # First one wins, so the result does not depend on dict update order.
                self._folded.setdefault(entry.path.casefold(), entry)
                self._loose.setdefault(loose_key(entry.path), entry)
        return self._folded.get(path.casefold()) or self._loose.get(loose_key(path))

    def resolve(self, components: Sequence[str], base_dir: str = "") -> Resolution:
        """Resolve the components of a Referenced File ID relative to ``base_dir``.

        ``base_dir`` is the media-relative folder of the DICOMDIR that holds the record
        (the root of its File-set).
        """
        parts: list[str] = []
        for raw in components:
            # Some writers put a whole path in one component; split it like the rest.
            parts.extend(p for p in re.split(r"[\\/]", raw.strip(" \0")) if p != "")
        shown = "/".join(parts)
        if not parts:
            return Resolution("missing", posixpath.join(base_dir, shown))
        joined = "/".join(parts)
        absolute = (
            components[0].strip() == ""  # a leading separator: "\\etc\\passwd"
            or any(c.strip().startswith(("/", "\\")) for c in components)
            or (len(parts[0]) == 2 and parts[0][1] == ":")  # a drive letter
        )
        normalized = posixpath.normpath(posixpath.join(base_dir, joined))
        inside_root = normalized != ".." and not normalized.startswith("../")
        # A File ID is relative to its own File-set: the DICOMDIR's folder.
        inside_fileset = not base_dir or normalized.startswith(base_dir + "/")
        if absolute or not (inside_root and inside_fileset):
            return Resolution("outside", shown)
        entry = self._exact.get(normalized) or self._tolerant_match(normalized)
        if entry is None:
            return Resolution("missing", normalized)
        if entry.outside:
            return Resolution("outside", entry.path, entry)
        return Resolution("found", entry.path, entry)
