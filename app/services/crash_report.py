"""Crash reports that hold no patient data: build, scrub, format and keep them on disk.

An unexpected exception can carry anything: a ``KeyError('DOE^JANE')``, the repr of a
dataset, a path with a patient's name in it. A report therefore carries only what cannot
come from data: exception types, the frames' file names (shortened to the package's own
path), function names and line numbers, and each message scrubbed down to known-safe
lowercase words and DICOM UIDs. Never locals, never source lines, never full messages.

The GUI (``app.gui.crash_dialog``) shows the formatted report and offers to copy it; the
same text goes to ``LIGHTBOX_HOME/logs/crash-YYYYmmdd-HHMMSS.log``, of which the newest
:data:`KEEP_LOGS` are kept.
"""

import contextlib
import os
import platform
import re
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType

from app.core.paths import lightbox_home

KEEP_LOGS = 20
LOG_PREFIX = "crash-"
LOG_SUFFIX = ".log"
# A chain longer than this (``raise ... from ...`` loops in bad code) is cut.
MAX_CHAIN = 8
MAX_FRAMES = 60
SCRUBBED = "…"
# Python's own words between the exceptions of a chain.
CAUSE = "The above exception was the direct cause of the following exception"
CONTEXT = "During handling of the above exception, another exception occurred"

# Words that may stay in a message: the vocabulary of Python's and our libraries' error
# messages, all lowercase, and matched case-sensitively, so a name written as DICOM writes
# it (``DOE^JANE``) or capitalised (``Long``) never matches. Words that are also common
# names or surnames (may, will, long, young, white, grant, page, ...) are left out on purpose.
_SAFE_WORDS_TEXT = """
    a an the is are was were be been not no none nonetype null true false and or of to in
    on at by for from with without into as it its this that than then has have had
    object objects attribute attributes index indices key keys value values item items
    list lists tuple dict dictionary set str string bytes bytearray int integer float
    bool type types class instance method function argument arguments positional keyword
    required missing unexpected expected got given takes take must should can cannot
    could only one two three more less most least out range bounds size shape length
    empty full invalid valid unsupported supported operand operands operation division
    zero modulo overflow underflow convert converted conversion literal base
    decode encode decoding encoding codec utf ascii byte position ordinal
    file files directory folder path paths exist exists found such permission denied
    read write open opened closed close access error errors failed failure fail
    timeout timed connection refused reset broken pipe memory recursion depth maximum
    exceeded limit iteration iterator generator stopped running already
    callable subscriptable iterable hashable support supports assignment item
    axis axes array arrays dimension dimensions dimensional broadcast broadcasting
    dtype uint8 uint16 int16 int32 float32 float64 pixel pixels frame frames data
    element elements tag tags dataset sequence transfer syntax uid vr
    buffer buffers slice slices offset offsets header compressed uncompressed
    thread threads lock locked database table column row rows sqlite
    referenced before local variable name names defined undefined import module
    attributeerror keyerror valueerror typeerror indexerror runtimeerror
    oserror ioerror zerodivisionerror
"""
SAFE_WORDS = frozenset(_SAFE_WORDS_TEXT.split())
# DICOM UIDs: a root of 0, 1 or 2 and at least four components, at most 64 characters
# (PS3.5 9.1). Bare numbers (patient IDs, dates, accession numbers) are dropped, and so
# are dotted dates (``01.02.1970``: three components).
_UID = re.compile(r"[012](?:\.(?:0|[1-9][0-9]*)){3,}")
_TOKEN = re.compile(r"[0-9][0-9.]*[0-9]|[A-Za-z0-9_]+|\s+|.", re.DOTALL)
_KEEP_PUNCTUATION = frozenset(" :;,.()[]{}<>=!?-+*/'\"")


def scrub_message(message: str) -> str:
    """``message`` with everything but safe words, UIDs and punctuation replaced by ``…``.

    Conservative by construction: a word is kept only when it is in :data:`SAFE_WORDS`, a
    number only when it is a UID; runs of dropped tokens become one ``…``.
    """
    out: list[str] = []
    dropped = False
    for token in _TOKEN.findall(message[:2000]):
        if token.isspace():
            token = " "
            keep = True
        elif token in SAFE_WORDS or (_UID.fullmatch(token) and len(token) <= 64):
            keep = True
        else:
            keep = len(token) == 1 and token in _KEEP_PUNCTUATION
        if keep:
            if token == " " and out and out[-1] == " ":
                continue
            out.append(token)
            dropped = False
        elif not dropped:
            out.append(SCRUBBED)
            dropped = True
    return "".join(out).strip()


@dataclass(frozen=True)
class Frame:
    """One frame of a traceback: where, never what."""

    file: str
    line: int
    function: str


@dataclass(frozen=True)
class ExceptionPart:
    """One exception of a chain, scrubbed. ``link`` says how it leads to the next one."""

    type_name: str
    message: str
    frames: tuple[Frame, ...]
    link: str = ""


@dataclass(frozen=True)
class CrashReport:
    """What went wrong, where, and in which copy of Lightbox; safe to share."""

    when: datetime
    where: str
    environment: tuple[tuple[str, str], ...]
    chain: tuple[ExceptionPart, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def summary(self) -> str:
        """The type of the exception that ended the chain, e.g. ``KeyError``."""
        return self.chain[-1].type_name if self.chain else "Exception"


def short_file_name(filename: str) -> str:
    """A frame's file without the folders that may name the user: ``app/gui/x.py`` for our
    own files (and tests'), the part after ``site-packages`` for libraries, else the bare
    file name."""
    parts = Path(filename).parts
    for anchor in ("site-packages", "dist-packages"):
        if anchor in parts:
            rest = parts[len(parts) - parts[::-1].index(anchor):]
            return "/".join(rest) or Path(filename).name
    for package in ("app", "tests"):
        if package in parts[:-1]:
            index = len(parts) - 1 - parts[::-1].index(package)
            return "/".join(parts[index:])
    return Path(filename).name


def _frames(tb: TracebackType | None) -> tuple[Frame, ...]:
    # extract_tb without source lines: no line can echo a value into the report.
    summary = traceback.extract_tb(tb, limit=None)
    frames = [Frame(short_file_name(f.filename), f.lineno or 0, _safe_function(f.name))
              for f in summary]
    if len(frames) > MAX_FRAMES:
        half = MAX_FRAMES // 2
        frames = [*frames[:half], Frame("…", 0, "…"), *frames[-half:]]
    return tuple(frames)


def _safe_function(name: str) -> str:
    # A code object's name is code, not data; still, keep it to identifier characters.
    return name if re.fullmatch(r"[<>A-Za-z0-9_.]{1,100}", name) else SCRUBBED


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    module = kind.__module__
    name = kind.__qualname__
    return name if module in ("builtins", "__main__") else f"{module}.{name}"


def exception_chain(exc: BaseException) -> tuple[ExceptionPart, ...]:
    """The exception and its causes/contexts, oldest first (like Python's traceback)."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen and len(chain) < MAX_CHAIN:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, CONTEXT
        else:
            current = None
    # Oldest first, like Python's own printout; each says how it leads to the next one.
    parts = [ExceptionPart(_type_name(item), _message(item), _frames(item.__traceback__), link)
             for item, link in reversed(chain)]
    return tuple(parts)


def _message(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # A broken __str__ must not break the report.
        return SCRUBBED
    return scrub_message(text)


def environment(extra: Mapping[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """Lightbox's version, the OS, Python, plus what the caller adds (Qt's versions)."""
    from app import __version__

    items = [
        ("Lightbox", __version__ + (" (frozen)" if getattr(sys, "frozen", False) else "")),
        ("OS", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
    ]
    items += list((extra or {}).items())
    return tuple(items)


def build_report(exc: BaseException, where: str = "main thread",
                 extra: Mapping[str, str] | None = None,
                 now: datetime | None = None) -> CrashReport:
    """A :class:`CrashReport` of ``exc`` (its ``__traceback__`` gives the frames);
    ``where`` is the caller's fixed wording ("main thread"), never data."""
    return CrashReport(
        when=now or datetime.now(),
        where=where,
        environment=environment(extra),
        chain=exception_chain(exc),
    )


def format_report(report: CrashReport) -> str:
    """The report as plain text: what the log holds and what "Copy details" copies."""
    lines = [
        f"Lightbox crash report, {report.when:%Y-%m-%d %H:%M:%S}",
        "It holds no patient data: exception types, code locations and scrubbed messages.",
        "",
    ]
    lines += [f"{name}: {value}" for name, value in report.environment]
    lines += [f"Where: {report.where}", ""]
    for part in report.chain:
        lines.append("Traceback (most recent call last):")
        lines += [f'  File "{f.file}", line {f.line}, in {f.function}' for f in part.frames]
        lines.append(f"{part.type_name}: {part.message}" if part.message else part.type_name)
        if part.link:
            lines += ["", part.link + ":", ""]
    lines += list(report.notes)
    return "\n".join(lines).rstrip() + "\n"


def logs_dir(home: Path | None = None) -> Path:
    """``LIGHTBOX_HOME/logs``, where crash logs go (not created here)."""
    return (home if home is not None else lightbox_home()) / "logs"


def _log_order(path: Path) -> tuple[str, int]:
    # crash-20250101-120000.log, then crash-20250101-120000-1.log, -2 ... in that order.
    parts = path.name[len(LOG_PREFIX):-len(LOG_SUFFIX)].split("-")
    number = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
    return "-".join(parts[:2]), number


def crash_logs(home: Path | None = None) -> list[Path]:
    """The crash logs kept, oldest first."""
    folder = logs_dir(home)
    if not folder.is_dir():
        return []
    logs = [p for p in folder.iterdir()
            if p.is_file() and p.name.startswith(LOG_PREFIX) and p.name.endswith(LOG_SUFFIX)]
    return sorted(logs, key=_log_order)


def write_crash_log(report: CrashReport, home: Path | None = None,
                    keep: int = KEEP_LOGS) -> Path | None:
    """Write ``report`` to a new ``crash-YYYYmmdd-HHMMSS.log`` and remove all but the
    newest ``keep`` logs. Returns the file, or None when it could not be written (a crash
    handler must not fail on a full or read-only disk)."""
    folder = logs_dir(home)
    text = format_report(report)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        base = f"{LOG_PREFIX}{report.when:%Y%m%d-%H%M%S}"
        # After the newest log of the same second, even if rotation removed older ones.
        same = [_log_order(p)[1] for p in crash_logs(home) if p.name.startswith(base)]
        counter = max(same) + 1 if same else 0
        while True:
            path = folder / (f"{base}-{counter}{LOG_SUFFIX}" if counter else
                             f"{base}{LOG_SUFFIX}")
            try:
                # "x": never overwrite an earlier crash of the same second.
                with open(path, "x", encoding="utf-8", newline="\n") as stream:
                    stream.write(text)
                break
            except FileExistsError:
                counter += 1
    except OSError:
        return None
    rotate_logs(home, keep)
    return path


def rotate_logs(home: Path | None = None, keep: int = KEEP_LOGS) -> None:
    """Remove all but the newest ``keep`` crash logs (errors are ignored)."""
    logs = crash_logs(home)
    for old in logs[:max(0, len(logs) - max(1, keep))]:
        with contextlib.suppress(OSError):
            os.remove(old)
