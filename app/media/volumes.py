"""Mounted volumes, and which of them are removable or user media worth looking at.

On Linux the mount table is ``/proc/self/mountinfo`` (see proc(5)): one line per mount,

    36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue

that is mount id, parent id, major:minor, root of the mount inside its filesystem, mount
point, mount options, zero or more optional fields, a ``-``, filesystem type, source and
super-block options. The kernel writes space, tab, newline and backslash in paths as
octal escapes (``\\040``). On macOS the volumes are the mount points in ``/Volumes``; on
Windows, the drive letters of removable and CD/DVD drives.

Nothing here raises for a malformed line or an odd volume: media in the wild are odd.
"""

import os
import re
import string
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

MOUNTINFO_PATH = Path("/proc/self/mountinfo")
DISK_LABELS_DIR = Path("/dev/disk/by-label")
MACOS_VOLUMES_DIR = Path("/Volumes")

# Filesystems that only ever come from a disc or a disc image: worth a look wherever the
# user mounted them (Debian still mounts CDs on /cdrom).
OPTICAL_FSTYPES = frozenset({"iso9660", "udf"})
# Filesystems of USB sticks, memory cards and external disks from other systems.
MEDIA_FSTYPES = OPTICAL_FSTYPES | frozenset(
    {
        "vfat",
        "msdos",
        "exfat",
        "ntfs",
        "ntfs3",
        "fuseblk",
        "hfs",
        "hfsplus",
        "apfs",
        "fuse.exfat",
        "fuse.ntfs-3g",
        "fuse.apfs-fuse",
    }
)
# Kernel and container filesystems that never hold a patient's disc.
PSEUDO_FSTYPES = frozenset(
    {
        "autofs",
        "binfmt_misc",
        "bpf",
        "cgroup",
        "cgroup2",
        "configfs",
        "debugfs",
        "devpts",
        "devtmpfs",
        "efivarfs",
        "fusectl",
        "fuse.gvfsd-fuse",
        "fuse.portal",
        "hugetlbfs",
        "mqueue",
        "nsfs",
        "overlay",
        "proc",
        "pstore",
        "ramfs",
        "rpc_pipefs",
        "securityfs",
        "selinuxfs",
        "squashfs",
        "sysfs",
        "tmpfs",
        "tracefs",
    }
)
# Where desktops (udisks: /media/USER, /run/media/USER) and people mount media.
MEDIA_ROOTS = (Path("/media"), Path("/run/media"), Path("/mnt"), Path("/Volumes"))

_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")
_UDEV_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")


@dataclass(frozen=True, order=True)
class Volume:
    """A mounted volume.

    Two volumes are equal when mount point and device are: that is what tells a new
    medium from the one seen before. ``fstype`` (``""`` when unknown) and ``label`` are
    descriptive only.
    """

    mount_point: Path
    fstype: str = field(compare=False)
    device: str
    label: str = field(compare=False)


@dataclass(frozen=True)
class MountEntry:
    """One line of ``/proc/self/mountinfo``, with the octal escapes decoded."""

    mount_id: int
    parent_id: int
    major_minor: str
    root: str
    mount_point: Path
    options: str
    optional_fields: tuple[str, ...]
    fstype: str
    source: str
    super_options: str


def _unescape(text: str) -> str:
    # The kernel escapes only ASCII characters this way, so chr() of the octal is exact.
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)


def parse_mountinfo_line(line: str) -> MountEntry | None:
    """Parse one mountinfo line; ``None`` if it is blank or malformed."""
    fields = line.split()
    try:
        separator = fields.index("-", 6)
    except ValueError:
        return None
    if len(fields) < separator + 3:
        return None  # No filesystem type or source after the separator.
    try:
        mount_id, parent_id = int(fields[0]), int(fields[1])
    except ValueError:
        return None
    super_options = fields[separator + 3] if len(fields) > separator + 3 else ""
    return MountEntry(
        mount_id=mount_id,
        parent_id=parent_id,
        major_minor=fields[2],
        root=_unescape(fields[3]),
        mount_point=Path(_unescape(fields[4])),
        options=fields[5],
        optional_fields=tuple(fields[6:separator]),
        fstype=_unescape(fields[separator + 1]),
        source=_unescape(fields[separator + 2]),
        super_options=super_options,
    )


def parse_mountinfo(text: str) -> list[MountEntry]:
    """Parse the text of ``/proc/self/mountinfo``, skipping lines that do not parse."""
    entries = (parse_mountinfo_line(line) for line in text.splitlines())
    return [entry for entry in entries if entry is not None]


def _under_media_root(mount_point: Path) -> bool:
    # The folder itself counts too: "mount /dev/sdb1 /mnt" is how many people mount a stick.
    return any(mount_point.is_relative_to(root) for root in MEDIA_ROOTS)


def is_media_mount(entry: MountEntry) -> bool:
    """Whether a mount looks like removable or user media (a disc, a stick, a card).

    Disc filesystems count anywhere; other filesystems only under the usual media
    folders, and then only if they are known media filesystems or backed by a block
    device (an ext4 USB stick), which keeps out network shares and ``/boot/efi``.
    """
    if entry.fstype in PSEUDO_FSTYPES or entry.mount_point == Path("/"):
        return False
    # A bind mount shows part of a filesystem that is mounted elsewhere already.
    if entry.root != "/":
        return False
    if entry.fstype in OPTICAL_FSTYPES:
        return True
    if not _under_media_root(entry.mount_point):
        return False
    return entry.fstype in MEDIA_FSTYPES or entry.source.startswith("/dev/")


def volumes_from_mountinfo(text: str, labels: Mapping[str, str] | None = None) -> list[Volume]:
    """The media volumes in a mountinfo text, in mount order.

    ``labels`` maps a device path (``/dev/sr0``) to its filesystem label; without one,
    the label is the last part of the mount point, which is where udisks puts it.
    A filesystem mounted twice is listed once, at its first mount point.
    """
    labels = labels or {}
    seen_devices: set[str] = set()
    volumes = []
    for entry in parse_mountinfo(text):
        if not is_media_mount(entry) or entry.major_minor in seen_devices:
            continue
        seen_devices.add(entry.major_minor)
        label = labels.get(entry.source) or entry.mount_point.name
        volumes.append(Volume(entry.mount_point, entry.fstype, entry.source, label))
    return volumes


def _decode_udev_name(name: str) -> str:
    raw = _UDEV_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), os.fsencode(name))
    return raw.decode("utf-8", "replace")


def read_disk_labels(labels_dir: Path = DISK_LABELS_DIR) -> dict[str, str]:
    """Map device paths to filesystem labels from udev's ``/dev/disk/by-label`` links.

    Empty when the folder is missing (containers, systems without udev).
    """
    labels: dict[str, str] = {}
    try:
        names = os.listdir(labels_dir)
    except OSError:
        return labels
    for name in names:
        device = os.path.realpath(labels_dir / name)
        labels[device] = _decode_udev_name(name)
    return labels


def read_mountinfo(mountinfo_path: Path = MOUNTINFO_PATH) -> str:
    """The text of a mountinfo file; raises ``OSError`` when it cannot be read."""
    # Mount points are bytes to the kernel; fsdecode keeps odd ones round-trippable.
    return os.fsdecode(mountinfo_path.read_bytes())


def list_linux_volumes(
    mountinfo_path: Path = MOUNTINFO_PATH, labels_dir: Path = DISK_LABELS_DIR
) -> list[Volume]:
    """Media volumes from a Linux mount table; raises ``OSError`` if it cannot be read."""
    return volumes_from_mountinfo(read_mountinfo(mountinfo_path), read_disk_labels(labels_dir))


def list_macos_volumes(volumes_dir: Path = MACOS_VOLUMES_DIR) -> list[Volume]:
    """Mount points in ``/Volumes``; raises ``OSError`` if the folder cannot be listed.

    The device is the mount's ``st_dev``, so a different disc in the same place is a
    different volume. The file system type is not known here (``""``).
    """
    with os.scandir(volumes_dir) as it:
        entries = sorted(it, key=lambda e: e.name)
    volumes = []
    for entry in entries:
        # The start-up disk appears as a symbolic link to "/": not media.
        if entry.is_symlink() or not os.path.ismount(entry.path):
            continue
        try:
            device = os.stat(entry.path).st_dev
        except OSError:
            continue
        volumes.append(Volume(Path(entry.path), "", str(device), entry.name))
    return volumes


if sys.platform == "win32":
    import ctypes

    def list_windows_volumes() -> list[Volume]:
        """Drive letters of removable and CD/DVD drives that hold a medium (Windows only).

        The device is the letter plus the volume serial number, so a disc swapped in the
        same drive counts as a new volume. Elsewhere this returns ``[]``.
        """
        drive_removable, drive_cdrom = 2, 5
        # Without this, touching an empty drive can open a "No disk in drive" dialog.
        sem_failcriticalerrors = 0x0001
        kernel32 = ctypes.windll.kernel32
        old_mode = ctypes.c_ulong()
        kernel32.SetThreadErrorMode(sem_failcriticalerrors, ctypes.byref(old_mode))
        try:
            volumes = []
            for letter in string.ascii_uppercase:
                root = f"{letter}:\\"
                # GetDriveTypeW does no I/O, so it is asked first.
                if kernel32.GetDriveTypeW(root) not in (drive_removable, drive_cdrom):
                    continue
                if not os.path.exists(root):
                    continue  # An empty drive or card reader.
                label = ctypes.create_unicode_buffer(261)
                fs_name = ctypes.create_unicode_buffer(261)
                serial = ctypes.c_ulong()
                if not kernel32.GetVolumeInformationW(
                    root, label, 261, ctypes.byref(serial), None, None, fs_name, 261
                ):
                    continue
                device = f"{letter}:{serial.value:08X}"
                volumes.append(Volume(Path(root), fs_name.value.lower(), device, label.value))
            return volumes
        finally:
            kernel32.SetThreadErrorMode(old_mode.value, None)

else:

    def list_windows_volumes() -> list[Volume]:
        """Drive letters of removable and CD/DVD drives (Windows only; ``[]`` here)."""
        return []


def list_volumes() -> list[Volume]:
    """The removable or user media mounted now, for this platform.

    Raises ``OSError`` when the system's list of volumes itself cannot be read.
    """
    if sys.platform == "win32":
        volumes = list_windows_volumes()
    elif sys.platform == "darwin":
        volumes = list_macos_volumes()
    else:
        volumes = list_linux_volumes()
    return volumes


def filesystem_type(path: Path, mountinfo_path: Path = MOUNTINFO_PATH) -> str:
    """The type of the filesystem holding ``path`` (``"iso9660"``, ``"ext4"``...).

    ``""`` when it cannot be told (no mountinfo: macOS, Windows, or unreadable). The
    path should be resolved already; the deepest mount point above it wins, and of two
    mounts on one point the later one, which hides the earlier.
    """
    try:
        entries = parse_mountinfo(read_mountinfo(mountinfo_path))
    except OSError:
        return ""
    best: MountEntry | None = None
    for entry in entries:
        if path != entry.mount_point and not path.is_relative_to(entry.mount_point):
            continue
        if best is None or len(entry.mount_point.parts) >= len(best.mount_point.parts):
            best = entry
    return best.fstype if best is not None else ""
