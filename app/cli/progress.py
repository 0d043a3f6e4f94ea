"""Progress on the command line (stderr): a redrawn bar on a terminal, plain lines
otherwise, nothing with --json."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from app.core.models import ScanProgress
    from app.services.disc_upload import DiscUploadProgress
    from app.services.exporting import ExportProgress
    from app.services.importing import ImportProgress
    from app.services.uploading import UploadProgress
    from app.services.verification import VerifyProgress

BAR_WIDTH = 28
# When not on a terminal (a log, a script): one line at most this often.
LINE_EVERY_SECONDS = 5.0
CLEAR_LINE = "\r\033[K"


class ProgressPrinter:
    """Draws import progress on ``out``: a redrawn bar on a TTY, else a line now and then."""

    def __init__(self, out: TextIO, quiet: bool = False) -> None:
        self._out = out
        self._tty = out.isatty()
        self._quiet = quiet
        self._last_line = 0.0

    def update(self, progress: ImportProgress) -> None:
        """Show import progress."""
        if self._quiet:
            return
        from app.services.importing import describe

        if self._tty:
            filled = BAR_WIDTH * progress.done // max(1, progress.total)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self._out.write(f"\r[{bar}] {describe(progress)}\033[K")
            self._out.flush()
            return
        now = time.monotonic()
        if now - self._last_line >= LINE_EVERY_SECONDS or progress.done == progress.total:
            self._last_line = now
            print(f"Importing: {describe(progress)}", file=self._out, flush=True)

    def update_upload(self, progress: UploadProgress) -> None:
        """Upload progress on one line (a log gets one line per batch)."""
        if self._quiet:
            return
        from app.services.uploading import describe_upload

        self._line("Uploading", describe_upload(progress), final=True, every=0.0)

    def update_send(self, progress: UploadProgress) -> None:
        """C-STORE progress: as an upload's, but a PACS answers image by image, so a log
        (not a terminal) gets a line a second and the last one, not a line per image."""
        if self._quiet:
            return
        from app.services.uploading import describe_upload

        final = progress.confirmed + progress.failed >= progress.total
        self._line("Sending", describe_upload(progress), final, every=1.0)

    def update_disc_upload(self, progress: DiscUploadProgress) -> None:
        """Progress of a medium imported and uploaded at once, on one line."""
        if self._quiet:
            return
        from app.services.disc_upload import describe_disc_upload

        self._line("Uploading the disc", describe_disc_upload(progress), final=False,
                   every=LINE_EVERY_SECONDS)

    def _line(self, label: str, text: str, final: bool, every: float) -> None:
        """``text`` redrawn in place on a terminal; elsewhere a "label: text" line at most
        every ``every`` seconds, and always when ``final``."""
        if self._tty:
            self._out.write(f"\r{text}\033[K")
            self._out.flush()
            return
        now = time.monotonic()
        if final or now - self._last_line >= every:
            self._last_line = now
            print(f"{label}: {text}", file=self._out, flush=True)

    def update_export(self, progress: ExportProgress) -> None:
        """Export progress: a bar on a terminal, a line now and then elsewhere."""
        if self._quiet:
            return
        from app.services.exporting import describe_export

        done, total = ((progress.bytes_done, progress.bytes_total)
                       if progress.phase == "packing" else (progress.done, progress.total))
        self._draw("Exporting", describe_export(progress), done, total)

    def _draw(self, label: str, text: str, done: int, total: int) -> None:
        if self._tty:
            filled = BAR_WIDTH * done // max(1, total)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self._out.write(f"\r[{bar}] {text}\033[K")
            self._out.flush()
            return
        now = time.monotonic()
        if now - self._last_line >= LINE_EVERY_SECONDS or done >= total:
            self._last_line = now
            print(f"{label}: {text}", file=self._out, flush=True)

    def finish(self) -> None:
        """Clear the bar (on a terminal) so what follows starts on a clean line."""
        if self._tty and not self._quiet:
            self._out.write(CLEAR_LINE)
            self._out.flush()


class CountLine:
    """"Reading files: 25/300" redrawn on a terminal every ``every`` items; silent
    elsewhere (a log gains nothing from these)."""

    def __init__(self, out: TextIO, label: str, every: int, quiet: bool = False) -> None:
        self._out = out
        self._label = label
        self._every = every
        self._on = out.isatty() and not quiet

    def update(self, progress: ScanProgress | VerifyProgress) -> None:
        """Show ``done/total`` when it is worth redrawing."""
        if self._on and (progress.done == progress.total or progress.done % self._every == 0):
            self._out.write(f"\r{self._label}: {progress.done}/{progress.total}")
            self._out.flush()

    def finish(self) -> None:
        """Clear the line."""
        if self._on:
            self._out.write(CLEAR_LINE)
            self._out.flush()
