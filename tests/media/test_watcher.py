"""The media watcher: the quick DICOM look, the diff of volume lists, and the wait loop."""

import errno
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.media.volumes import Volume
from app.media.watcher import MediaEvent, MediaWatcher, has_dicom, is_dicomdir_name

on_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def _dicom_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x00\x00UL\x04\x00" + b"\0" * 64)
    return path


def _junk_file(path: Path, data: bytes = b"not dicom at all " * 20) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- DICOMDIR names -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["DICOMDIR", "dicomdir", "DicomDir", "DICOMDIR;1", "DICOMDIR.", "DICOMDIR.;1",
     "study.dcmdir", "STUDY.DCMDIR;1"],
)  # fmt: skip
def test_dicomdir_names(name: str) -> None:
    assert is_dicomdir_name(name)


@pytest.mark.parametrize(
    "name", ["DICOMDIR.txt", "DICOMDIR2", "dicomdir.bak", "DICOM", ".dcmdir", "IM000001"]
)
def test_not_dicomdir_names(name: str) -> None:
    assert not is_dicomdir_name(name)


# --- has_dicom --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative",
    ["DICOMDIR", "dicomdir", "DICOMDIR;1", "DICOMDIR.", "PATIENT/DICOMDIR", "disc/Study.dcmdir"],
)
def test_has_dicom_finds_a_dicomdir_in_the_root_or_one_folder_down(
    tmp_path: Path, relative: str
) -> None:
    _junk_file(tmp_path / "autorun.inf")
    _junk_file(tmp_path / relative, b"anything: only the name is looked at")
    assert has_dicom(tmp_path) is True


def test_has_dicom_does_not_look_for_a_dicomdir_deeper(tmp_path: Path) -> None:
    _junk_file(tmp_path / "a" / "b" / "DICOMDIR")
    assert has_dicom(tmp_path) is False


def test_a_folder_named_dicomdir_is_not_a_dicomdir(tmp_path: Path) -> None:
    (tmp_path / "DICOMDIR").mkdir()
    assert has_dicom(tmp_path) is False


@pytest.mark.parametrize("relative", ["IM000001", "DICOM/IM000001", "DICOM/ST0/IM000001.dcm"])
def test_has_dicom_finds_dicm_files_up_to_two_folders_down(tmp_path: Path, relative: str) -> None:
    _junk_file(tmp_path / "README.TXT")
    _dicom_file(tmp_path / relative)
    assert has_dicom(tmp_path) is True


def test_has_dicom_does_not_go_three_folders_down(tmp_path: Path) -> None:
    _dicom_file(tmp_path / "DICOM" / "PA0" / "ST0" / "IM000001")
    assert has_dicom(tmp_path) is False


def test_junk_only_and_empty_volumes_hold_no_dicom(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert has_dicom(empty) is False
    junk = tmp_path / "junk"
    _junk_file(junk / "holiday.jpg")
    _junk_file(junk / "notes")
    _junk_file(junk / "tiny", b"DICM")
    _junk_file(junk / "docs" / "letter.doc")
    assert has_dicom(junk) is False


def test_has_dicom_on_a_missing_folder_is_false(tmp_path: Path) -> None:
    assert has_dicom(tmp_path / "gone") is False


def test_has_dicom_probes_a_bounded_number_of_files(tmp_path: Path) -> None:
    for i in range(25):
        _junk_file(tmp_path / f"A{i:03d}")
    _dicom_file(tmp_path / "Z_IMAGE")  # sorts after the 25 junk files
    assert has_dicom(tmp_path, max_files=20) is False
    assert has_dicom(tmp_path, max_files=30) is True


def test_has_dicom_reads_only_132_bytes_of_each_file(tmp_path: Path) -> None:
    for i in range(5):
        _junk_file(tmp_path / "IMAGES" / f"F{i}", b"x" * 10_000)
    reads: list[tuple[str, int]] = []

    def recording_read(path: str, size: int) -> bytes:
        reads.append((path, size))
        with open(path, "rb") as f:
            return f.read(size)

    assert has_dicom(tmp_path, read_head=recording_read) is False
    assert len(reads) == 5
    assert {size for _, size in reads} == {132}


def test_viewer_program_files_do_not_use_up_the_budget(tmp_path: Path) -> None:
    for i in range(30):
        _junk_file(tmp_path / "A_VIEWER" / f"lib{i:02d}.dll")
    _dicom_file(tmp_path / "IMAGES" / "IM1")
    assert has_dicom(tmp_path, max_files=3) is True


def test_unreadable_volume_is_false_without_raising(tmp_path: Path) -> None:
    _junk_file(tmp_path / "DICOMDIR")

    def unreadable(path: str) -> Iterator[os.DirEntry[str]]:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    assert has_dicom(tmp_path, list_dir=unreadable) is False


def test_read_errors_count_as_no_dicom(tmp_path: Path) -> None:
    _dicom_file(tmp_path / "IM1")

    def failing_read(path: str, size: int) -> bytes:
        raise OSError(errno.EIO, "Input/output error", path)

    assert has_dicom(tmp_path, read_head=failing_read) is False


def test_an_unreadable_folder_is_skipped_and_the_rest_still_looked_at(tmp_path: Path) -> None:
    _dicom_file(tmp_path / "A_LOCKED" / "IM1")
    _dicom_file(tmp_path / "B_OPEN" / "IM1")
    locked = str(tmp_path / "A_LOCKED")
    real_scandir = os.scandir

    def scandir_refusing_one(path: str) -> list[os.DirEntry[str]]:
        if path == locked:
            raise OSError(errno.EIO, "Input/output error", path)
        with real_scandir(path) as it:
            return list(it)

    reads: list[str] = []

    def recording_read(path: str, size: int) -> bytes:
        reads.append(path)
        with open(path, "rb") as f:
            return f.read(size)

    found = has_dicom(tmp_path, list_dir=scandir_refusing_one, read_head=recording_read)
    assert found is True
    assert reads == [str(tmp_path / "B_OPEN" / "IM1")]


def test_a_failing_scandir_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _junk_file(tmp_path / "DICOMDIR")

    def eio(path: str) -> None:
        raise OSError(errno.EIO, "Input/output error", path)

    monkeypatch.setattr(os, "scandir", eio)
    assert has_dicom(tmp_path) is False


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks and FIFOs")
def test_links_and_fifos_are_never_opened(tmp_path: Path) -> None:
    outside = _dicom_file(tmp_path / "outside" / "IM1")
    medium = tmp_path / "medium"
    medium.mkdir()
    os.symlink(outside, medium / "LINKED")
    os.symlink(tmp_path / "outside", medium / "LINKDIR")
    os.symlink(outside, medium / "DICOMDIR")
    os.mkfifo(medium / "PIPE")  # opening it for reading would block forever
    started = time.monotonic()
    assert has_dicom(medium) is False
    assert time.monotonic() - started < 2


# --- the diff -----------------------------------------------------------------------------


class FakeMountTable:
    """A volume list that tests change between calls; can also fail like an unreadable /proc."""

    def __init__(self, *volumes: Volume) -> None:
        self.volumes = list(volumes)
        self.calls = 0
        self.error: OSError | None = None

    def __call__(self) -> list[Volume]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return list(self.volumes)


def _vol(name: str, device: str, label: str = "") -> Volume:
    return Volume(Path("/media/anna") / name, "iso9660", device, label or name)


STICK = _vol("STICK", "/dev/sdb1")
DISC = _vol("CT_DISC", "/dev/sr0")


def _probe_dicom_if_disc(mount_point: Path) -> bool:
    return mount_point.name.endswith("DISC")


def _watcher(table: FakeMountTable, report_existing: bool = False) -> MediaWatcher:
    return MediaWatcher(
        mountinfo_path=None,
        list_volumes=table,
        probe=_probe_dicom_if_disc,
        report_existing=report_existing,
    )


def test_volumes_present_at_start_are_not_reported() -> None:
    table = FakeMountTable(STICK)
    watcher = _watcher(table)
    assert watcher.check_now() == []
    assert watcher.volumes == [STICK]


def test_an_inserted_volume_is_reported_once_with_its_dicom_probe() -> None:
    table = FakeMountTable(STICK)
    watcher = _watcher(table)
    table.volumes.append(DISC)
    assert watcher.check_now() == [MediaEvent("inserted", DISC, True)]
    assert watcher.check_now() == []
    assert watcher.volumes == [DISC, STICK]


def test_a_removed_volume_carries_what_was_found_when_it_came() -> None:
    table = FakeMountTable()
    watcher = _watcher(table)
    table.volumes = [DISC, STICK]
    inserted = watcher.check_now()
    assert inserted == [
        MediaEvent("inserted", DISC, True),
        MediaEvent("inserted", STICK, False),
    ]
    table.volumes = [STICK]
    assert watcher.check_now() == [MediaEvent("removed", DISC, True)]
    table.volumes = []
    assert watcher.check_now() == [MediaEvent("removed", STICK, False)]


def test_a_baseline_volume_removed_reports_no_dicom() -> None:
    table = FakeMountTable(DISC)
    watcher = _watcher(table)
    table.volumes = []
    assert watcher.check_now() == [MediaEvent("removed", DISC, False)]


def test_a_disc_swapped_at_the_same_mount_point_is_removed_then_inserted() -> None:
    old = Volume(Path("/media/anna/CDROM"), "iso9660", "/dev/sr0", "OLD")
    new = Volume(Path("/media/anna/CDROM"), "iso9660", "/dev/sr1", "NEW")
    table = FakeMountTable(old)
    watcher = _watcher(table)
    table.volumes = [new]
    events = watcher.check_now()
    assert [(e.kind, e.volume.label) for e in events] == [("removed", "OLD"), ("inserted", "NEW")]


def test_a_changed_label_alone_is_not_a_new_volume() -> None:
    table = FakeMountTable(_vol("STICK", "/dev/sdb1", "OLD LABEL"))
    watcher = _watcher(table)
    table.volumes = [_vol("STICK", "/dev/sdb1", "NEW LABEL")]
    assert watcher.check_now() == []


def test_report_existing_reports_what_is_there_at_the_first_check() -> None:
    table = FakeMountTable(STICK, DISC)
    watcher = _watcher(table, report_existing=True)
    assert [(e.kind, e.volume, e.has_dicom) for e in watcher.check_now()] == [
        ("inserted", DISC, True),
        ("inserted", STICK, False),
    ]
    assert watcher.check_now() == []


def test_an_unreadable_volume_list_keeps_the_last_one() -> None:
    table = FakeMountTable(STICK)
    watcher = _watcher(table)
    table.error = OSError(errno.EIO, "Input/output error")
    assert watcher.check_now() == []
    assert watcher.volumes == [STICK]
    table.error = None
    table.volumes = [STICK, DISC]
    assert watcher.check_now() == [MediaEvent("inserted", DISC, True)]


def test_a_failing_first_listing_becomes_the_baseline_later() -> None:
    table = FakeMountTable(STICK)
    table.error = OSError(errno.ENOENT, "No such file")
    watcher = _watcher(table)
    assert watcher.volumes == []
    table.error = None
    assert watcher.check_now() == []  # the baseline, not an insertion
    assert watcher.volumes == [STICK]


def test_the_default_probe_is_has_dicom(tmp_path: Path) -> None:
    _junk_file(tmp_path / "disc" / "DICOMDIR;1")
    (tmp_path / "stick").mkdir()
    disc = Volume(tmp_path / "disc", "iso9660", "/dev/sr0", "disc")
    stick = Volume(tmp_path / "stick", "vfat", "/dev/sdb1", "stick")
    table = FakeMountTable()
    watcher = MediaWatcher(mountinfo_path=None, list_volumes=table)
    table.volumes = [disc, stick]
    assert [e.has_dicom for e in watcher.check_now()] == [True, False]


# --- poll_changes on a mount table file ---------------------------------------------------

_BASE_TABLE = "27 1 254:0 / / rw - ext4 /dev/vda rw\n22 27 0:21 / /proc rw - proc proc rw\n"


def _mount_line(mount_point: Path, device: str) -> str:
    escaped = str(mount_point).replace(" ", "\\040")
    return f"60 27 11:0 / {escaped} ro,relatime - iso9660 {device} ro\n"


def test_poll_changes_reads_a_mount_table_file_that_changes(tmp_path: Path) -> None:
    disc_root = tmp_path / "CT DISC"
    _junk_file(disc_root / "dicomdir")
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(_BASE_TABLE)
    with MediaWatcher(mountinfo_path=mountinfo) as watcher:
        assert watcher.poll_changes(0.01) == []
        mountinfo.write_text(_BASE_TABLE + _mount_line(disc_root, "/dev/lightbox-test-sr0"))
        # A regular file never signals POLLPRI: the change is found when the wait ends.
        started = time.monotonic()
        events = watcher.poll_changes(0.05)
        assert 0.04 <= time.monotonic() - started < 1.0
        assert len(events) == 1
        assert events[0].kind == "inserted"
        assert events[0].has_dicom is True
        assert events[0].volume.mount_point == disc_root
        assert events[0].volume.device == "/dev/lightbox-test-sr0"
        mountinfo.write_text(_BASE_TABLE)
        assert [e.kind for e in watcher.check_now()] == ["removed"]


def test_poll_changes_without_notifier_waits_then_diffs() -> None:
    table = FakeMountTable()
    watcher = _watcher(table)
    assert watcher.uses_notifier is False
    table.volumes = [DISC]
    started = time.monotonic()
    assert watcher.poll_changes(0.05) == [MediaEvent("inserted", DISC, True)]
    assert 0.04 <= time.monotonic() - started < 1.0


def test_a_missing_mount_table_falls_back_to_re_listing(tmp_path: Path) -> None:
    watcher = MediaWatcher(mountinfo_path=tmp_path / "missing")
    assert watcher.uses_notifier is False
    assert watcher.poll_changes(0.01) == []
    assert watcher.volumes == []


@on_linux
def test_real_mountinfo_smoke() -> None:
    mountinfo = Path("/proc/self/mountinfo")
    with MediaWatcher() as watcher:
        assert watcher.uses_notifier is True
        # The notifier must not fire without a mount or unmount. Other jobs on a shared
        # machine do mount things: an early wake-up counts only when the table is unchanged.
        for _attempt in range(5):
            watcher.poll_changes(0)  # Take in any change that came before this wait.
            before = mountinfo.read_bytes()
            started = time.monotonic()
            assert watcher.poll_changes(0.1) == []
            elapsed = time.monotonic() - started
            assert elapsed < 1.0
            if elapsed >= 0.09:
                break
            assert mountinfo.read_bytes() != before, f"woke after {elapsed:.3f} s for nothing"
        else:
            pytest.fail("the mount table changed during every one of five waits")


@on_linux
def test_a_closed_watcher_still_works_by_re_listing() -> None:
    table = FakeMountTable()
    watcher = MediaWatcher(list_volumes=table, probe=_probe_dicom_if_disc)
    watcher.close()
    watcher.close()  # twice is harmless
    assert watcher.uses_notifier is False
    table.volumes = [DISC]
    assert watcher.poll_changes(0.01) == [MediaEvent("inserted", DISC, True)]


@on_linux
def test_notifier_with_a_fake_table(tmp_path: Path) -> None:
    table = FakeMountTable()
    with MediaWatcher(list_volumes=table, probe=_probe_dicom_if_disc) as watcher:
        assert watcher.uses_notifier is True
        table.volumes = [DISC]
        assert watcher.poll_changes(0.02) == [MediaEvent("inserted", DISC, True)]


# --- watch() --------------------------------------------------------------------------------


def _stop_after(stop: threading.Event, seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, stop.set)
    timer.daemon = True
    timer.start()
    return timer


class ChangingTable(FakeMountTable):
    """Inserts a disc at the 3rd listing and removes it at the 6th."""

    def __call__(self) -> list[Volume]:
        volumes = super().__call__()
        if self.calls == 3:
            self.volumes = [DISC]
        elif self.calls == 6:
            self.volumes = []
        return volumes


@pytest.mark.parametrize("use_notifier", [False, pytest.param(True, marks=on_linux)])
def test_watch_yields_events_as_the_table_changes(use_notifier: bool) -> None:
    table = ChangingTable()
    stop = threading.Event()
    safety = _stop_after(stop, 5.0)  # the test cannot hang if events never come
    mountinfo = Path("/proc/self/mountinfo") if use_notifier else None
    watcher = MediaWatcher(mountinfo_path=mountinfo, list_volumes=table, probe=_probe_dicom_if_disc)
    events = []
    for event in watcher.watch(stop, interval=0.02):
        events.append(event)
        if len(events) == 2:
            stop.set()
    safety.cancel()
    watcher.close()
    assert events == [MediaEvent("inserted", DISC, True), MediaEvent("removed", DISC, True)]


@pytest.mark.parametrize("use_notifier", [False, pytest.param(True, marks=on_linux)])
def test_watch_stops_promptly_when_told(use_notifier: bool) -> None:
    table = FakeMountTable(STICK)
    mountinfo = Path("/proc/self/mountinfo") if use_notifier else None
    watcher = MediaWatcher(mountinfo_path=mountinfo, list_volumes=table)
    assert watcher.uses_notifier is use_notifier
    stop = threading.Event()
    events: list[MediaEvent] = []
    worker = threading.Thread(
        target=lambda: events.extend(watcher.watch(stop, interval=60.0)), daemon=True
    )
    worker.start()
    time.sleep(0.2)
    assert worker.is_alive()
    stopped_at = time.monotonic()
    stop.set()
    worker.join(timeout=2.0)
    assert not worker.is_alive()
    assert time.monotonic() - stopped_at < 2.0
    assert events == []
    watcher.close()


@pytest.mark.parametrize("use_notifier", [False, pytest.param(True, marks=on_linux)])
def test_watch_re_lists_about_once_per_interval_and_does_not_spin(use_notifier: bool) -> None:
    table = FakeMountTable(STICK)
    mountinfo = Path("/proc/self/mountinfo") if use_notifier else None
    watcher = MediaWatcher(mountinfo_path=mountinfo, list_volumes=table)
    stop = threading.Event()
    _stop_after(stop, 0.6)
    assert list(watcher.watch(stop, interval=0.1)) == []
    watcher.close()
    # One baseline listing plus about six re-lists; a busy loop would make thousands.
    assert 3 <= table.calls <= 10


def test_watch_returns_at_once_if_already_stopped() -> None:
    table = FakeMountTable()
    watcher = _watcher(table)
    stop = threading.Event()
    stop.set()
    assert list(watcher.watch(stop)) == []
    assert table.calls == 1  # only the baseline from construction


@pytest.mark.parametrize("interval", [0.0, -1.0])
def test_watch_refuses_a_non_positive_interval(interval: float) -> None:
    watcher = _watcher(FakeMountTable())
    with pytest.raises(ValueError, match="interval"):
        next(watcher.watch(threading.Event(), interval=interval))


@pytest.mark.parametrize("use_notifier", [False, pytest.param(True, marks=on_linux)])
def test_watch_does_not_re_list_before_the_interval_without_a_change(use_notifier: bool) -> None:
    table = FakeMountTable(STICK)
    mountinfo = Path("/proc/self/mountinfo") if use_notifier else None
    watcher = MediaWatcher(mountinfo_path=mountinfo, list_volumes=table)
    stop = threading.Event()
    _stop_after(stop, 0.6)
    assert list(watcher.watch(stop, interval=5.0)) == []
    watcher.close()
    assert table.calls == 1  # the baseline only: the short waits for `stop` re-list nothing
