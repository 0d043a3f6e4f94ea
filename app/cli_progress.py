"""Import progress on the command line: a bar on a terminal, plain lines otherwise."""

import time
from typing import TextIO

from app.services.importing import ImportProgress, describe
from app.services.uploading import UploadProgress, describe_upload

BAR_WIDTH = 28
# When not on a terminal (a log, a script): one line at most this often.
LINE_EVERY_SECONDS = 5.0


class ProgressPrinter:
    """Draws import progress on ``out``: a redrawn bar on a TTY, else a line now and then."""

    def __init__(self, out: TextIO, quiet: bool = False) -> None:
        self._out = out
        self._tty = out.isatty()
        self._quiet = quiet
        self._last_line = 0.0

    def update(self, progress: ImportProgress) -> None:
        if self._quiet:
            return
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
        """Upload progress, drawn the same way as import progress."""
        if self._quiet:
            return
        text = describe_upload(progress)
        if self._tty:
            self._out.write(f"\r{text}\033[K")
            self._out.flush()
        else:
            print(f"Uploading: {text}", file=self._out, flush=True)

    def finish(self) -> None:
        if self._tty and not self._quiet:
            self._out.write("\r\033[K")
            self._out.flush()
