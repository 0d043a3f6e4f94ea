"""Listing mounted volumes: mountinfo parsing, the media filter, labels, platforms."""

import os
import sys
from pathlib import Path

import pytest

from app.media.volumes import (
    MountEntry,
    Volume,
    filesystem_type,
    is_media_mount,
    list_linux_volumes,
    list_macos_volumes,
    list_volumes,
    list_windows_volumes,
    parse_mountinfo,
    parse_mountinfo_line,
    read_disk_labels,
    volumes_from_mountinfo,
)

# A desktop's mount table as the kernel writes it: systemd's shared peer groups as
# optional fields, a udisks USB stick and a CD with spaces in their labels (octal escapes),
# a bind mount, a network share, the EFI partition, and the usual pseudo filesystems.
MOUNTINFO = r"""22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
25 22 0:5 / /dev rw,nosuid,relatime shared:8 - devtmpfs udev rw,size=8000000k,mode=755
26 25 0:23 / /dev/shm rw,nosuid,nodev shared:9 - tmpfs tmpfs rw
27 24 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw
28 22 259:1 / /boot/efi rw,relatime shared:29 - vfat /dev/nvme0n1p1 rw,fmask=0077,dmask=0077
29 22 0:25 / /run rw,nosuid,nodev,noexec,relatime shared:13 - tmpfs tmpfs rw,mode=755
30 29 0:26 / /run/user/1000 rw,nosuid,nodev,relatime shared:300 - tmpfs tmpfs rw,mode=700
31 30 0:27 / /run/user/1000/gvfs rw,nosuid,nodev,relatime shared:310 - fuse.gvfsd-fuse gvfsd-fuse rw
40 22 0:40 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw,lowerdir=/x
41 22 7:0 / /snap/core22/1122 ro,nodev,relatime shared:40 - squashfs /dev/loop0 ro
50 29 8:17 / /media/anna/MY\040STICK rw,nosuid,nodev shared:400 - vfat /dev/sdb1 rw,uid=1000
51 29 11:0 / /media/anna/CT\040KNEE\0402023 ro,nosuid shared:410 - iso9660 /dev/sr0 ro
52 22 8:17 /DICOM /home/anna/dicom-bind rw,relatime shared:400 - vfat /dev/sdb1 rw,uid=1000
53 22 0:50 / /mnt/nas rw,relatime shared:500 - nfs4 nas:/export rw,vers=4.2
54 22 8:33 / /run/media/anna/BACKUP rw,nosuid,nodev,relatime shared:420 - ext4 /dev/sdc1 rw
55 22 7:1 / /cdrom ro,relatime - udf /dev/loop1 ro
56 22 8:49 / /mnt rw,relatime - exfat /dev/sdd1 rw
57 22 0:60 / /media/anna/sshfs rw,relatime - fuse.sshfs anna@host: rw
"""


def _line(mount_point: str, fstype: str, source: str = "/dev/sdx1", root: str = "/") -> str:
    return f"90 22 8:99 {root} {mount_point} rw,relatime - {fstype} {source} rw"


def test_parse_reads_every_field_of_a_line_with_optional_fields() -> None:
    entry = parse_mountinfo_line(
        "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=cont"
    )
    assert entry == MountEntry(
        mount_id=36,
        parent_id=35,
        major_minor="98:0",
        root="/mnt1",
        mount_point=Path("/mnt/parent"),
        options="rw,noatime",
        optional_fields=("master:1", "shared:7"),
        fstype="ext3",
        source="/dev/root",
        super_options="rw,errors=cont",
    )


def test_parse_a_line_without_optional_fields() -> None:
    entry = parse_mountinfo_line("55 22 7:1 / /cdrom ro,relatime - udf /dev/loop1 ro")
    assert entry is not None
    assert entry.optional_fields == ()
    assert (entry.fstype, entry.source, entry.super_options) == ("udf", "/dev/loop1", "ro")


def test_parse_decodes_octal_escapes_in_paths() -> None:
    entries = {e.mount_id: e for e in parse_mountinfo(MOUNTINFO)}
    assert entries[50].mount_point == Path("/media/anna/MY STICK")
    assert entries[51].mount_point == Path("/media/anna/CT KNEE 2023")
    odd = parse_mountinfo_line(
        r"60 22 8:1 / /media/a\011tab\134back\012nl rw - vfat /dev/my\040disk rw"
    )
    assert odd is not None
    assert odd.mount_point == Path("/media/a\ttab\\back\nnl")
    assert odd.source == "/dev/my disk"


def test_parse_keeps_the_root_of_a_bind_mount() -> None:
    entries = {e.mount_id: e for e in parse_mountinfo(MOUNTINFO)}
    assert entries[52].root == "/DICOM"
    assert entries[52].mount_point == Path("/home/anna/dicom-bind")


def test_parse_skips_malformed_and_blank_lines() -> None:
    text = "\n".join(
        [
            "",
            "garbage",
            "1 2 3:4 / /x rw shared:1 ext4 /dev/sda1 rw",  # no separator
            "x 2 3:4 / /y rw - ext4 /dev/sda1 rw",  # mount id not a number
            "1 2 3:4 / /z rw -",  # nothing after the separator
            "7 1 8:1 / /media/ok rw - vfat /dev/sdb1 rw",
        ]
    )
    assert [e.mount_point for e in parse_mountinfo(text)] == [Path("/media/ok")]
    assert len(parse_mountinfo(MOUNTINFO)) == 20


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (_line("/media/anna/STICK", "vfat"), True),
        (_line("/run/media/anna/DISC", "iso9660", "/dev/sr0"), True),
        (_line("/cdrom", "iso9660", "/dev/sr0"), True),  # discs count anywhere
        (_line("/srv/images/x", "udf", "/dev/loop3"), True),
        (_line("/Volumes/CARD", "exfat"), True),
        (_line("/mnt", "ntfs3"), True),
        (_line("/mnt/usb", "fuseblk"), True),
        (_line("/media/anna/DATA", "ext4"), True),  # a Linux-formatted stick
        (_line("/media/anna/MAC", "hfsplus"), True),
        (_line("/boot/efi", "vfat"), False),  # internal, not under a media folder
        (_line("/home", "ext4"), False),
        (_line("/", "iso9660", "/dev/sr0"), False),  # a live CD's root is the system
        (_line("/media/anna/share", "cifs", "//server/share"), False),
        (_line("/mnt/nas", "nfs4", "nas:/export"), False),
        (_line("/media/tmp", "tmpfs", "tmpfs"), False),
        (_line("/media/anna/x", "overlay", "overlay"), False),
        (_line("/mnt/proc", "proc", "proc"), False),
        (_line("/mnt/bind", "vfat", root="/DICOM"), False),  # bind mount of a subfolder
        (_line("/mediafiles/x", "vfat"), False),  # only whole path components match
    ],
)
def test_is_media_mount(line: str, expected: bool) -> None:
    entry = parse_mountinfo_line(line)
    assert entry is not None
    assert is_media_mount(entry) is expected


def test_volumes_from_mountinfo_keeps_only_media_in_mount_order() -> None:
    volumes = volumes_from_mountinfo(MOUNTINFO)
    assert [(str(v.mount_point), v.fstype, v.device, v.label) for v in volumes] == [
        ("/media/anna/MY STICK", "vfat", "/dev/sdb1", "MY STICK"),
        ("/media/anna/CT KNEE 2023", "iso9660", "/dev/sr0", "CT KNEE 2023"),
        ("/run/media/anna/BACKUP", "ext4", "/dev/sdc1", "BACKUP"),
        ("/cdrom", "udf", "/dev/loop1", "cdrom"),
        ("/mnt", "exfat", "/dev/sdd1", "mnt"),
    ]


def test_volumes_from_mountinfo_takes_labels_from_the_map() -> None:
    volumes = volumes_from_mountinfo(MOUNTINFO, labels={"/dev/sr0": "CT_KNEE_2023"})
    labels = {v.device: v.label for v in volumes}
    assert labels["/dev/sr0"] == "CT_KNEE_2023"
    assert labels["/dev/sdb1"] == "MY STICK"  # no label known: the mount point's name


def test_a_filesystem_mounted_twice_is_listed_once() -> None:
    text = "\n".join(
        [
            "70 22 8:17 / /media/anna/STICK rw - vfat /dev/sdb1 rw",
            "71 22 8:17 / /mnt/stick rw - vfat /dev/sdb1 rw",
        ]
    )
    assert [v.mount_point for v in volumes_from_mountinfo(text)] == [Path("/media/anna/STICK")]


def test_volumes_compare_by_mount_point_and_device_only() -> None:
    a = Volume(Path("/media/x"), "vfat", "/dev/sdb1", "OLD")
    b = Volume(Path("/media/x"), "exfat", "/dev/sdb1", "NEW")
    other_device = Volume(Path("/media/x"), "vfat", "/dev/sdc1", "OLD")
    other_place = Volume(Path("/media/y"), "vfat", "/dev/sdb1", "OLD")
    assert a == b
    assert hash(a) == hash(b)
    assert a != other_device
    assert a != other_place
    assert {a, b, other_device, other_place} == {a, other_device, other_place}
    assert sorted([other_place, other_device, a]) == [a, other_device, other_place]


def test_read_disk_labels_decodes_udev_escapes(tmp_path: Path) -> None:
    devices = tmp_path / "dev"
    devices.mkdir()
    (devices / "sr0").touch()
    (devices / "sdb1").touch()
    by_label = tmp_path / "by-label"
    by_label.mkdir()
    os.symlink(devices / "sr0", by_label / "CT\\x20KNEE")
    os.symlink(devices / "sdb1", by_label / "K\\xc3\\xb6rper")
    labels = read_disk_labels(by_label)
    assert labels == {
        os.path.realpath(devices / "sr0"): "CT KNEE",
        os.path.realpath(devices / "sdb1"): "Körper",
    }


def test_read_disk_labels_without_the_folder_is_empty(tmp_path: Path) -> None:
    assert read_disk_labels(tmp_path / "missing") == {}


def test_list_linux_volumes_reads_a_mount_table_file(tmp_path: Path) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(MOUNTINFO)
    volumes = list_linux_volumes(mountinfo, labels_dir=tmp_path / "no-labels")
    assert [v.device for v in volumes] == [
        "/dev/sdb1",
        "/dev/sr0",
        "/dev/sdc1",
        "/dev/loop1",
        "/dev/sdd1",
    ]


def test_list_linux_volumes_raises_when_the_table_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        list_linux_volumes(tmp_path / "missing", labels_dir=tmp_path)


def test_list_macos_volumes_lists_mount_points_and_skips_the_system_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "CT DISC").mkdir()
    (tmp_path / "stale folder").mkdir()  # left behind by an unclean eject: not mounted
    os.symlink("/", tmp_path / "Macintosh HD")
    mounted = {str(tmp_path / "CT DISC"), str(tmp_path / "Macintosh HD")}
    monkeypatch.setattr(os.path, "ismount", lambda p: os.fspath(p) in mounted)
    volumes = list_macos_volumes(tmp_path)
    assert [(v.mount_point, v.label, v.fstype) for v in volumes] == [
        (tmp_path / "CT DISC", "CT DISC", "")
    ]
    assert volumes[0].device == str(os.stat(tmp_path / "CT DISC").st_dev)


def test_list_macos_volumes_without_mounts_is_empty(tmp_path: Path) -> None:
    (tmp_path / "not-mounted").mkdir()
    assert list_macos_volumes(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="the Windows lister is real there")
def test_list_windows_volumes_is_empty_elsewhere() -> None:
    assert list_windows_volumes() == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux mount table")
def test_list_volumes_on_this_machine_returns_volumes() -> None:
    volumes = list_volumes()
    assert all(isinstance(v, Volume) for v in volumes)
    # Nothing this machine mounts for itself is media.
    assert Path("/") not in {v.mount_point for v in volumes}
    assert Path("/proc") not in {v.mount_point for v in volumes}


def test_filesystem_type_finds_the_deepest_and_topmost_mount(tmp_path: Path) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "\n".join(
            [
                "1 0 8:1 / / rw - ext4 /dev/sda1 rw",
                "2 1 11:0 / /media/anna/CD rw - iso9660 /dev/sr0 ro",
                "3 1 8:2 / /media/anna/CD\\040TWO rw - udf /dev/sr1 ro",
                "4 1 8:3 / /mnt rw - ext4 /dev/sdb1 rw",
                "5 4 8:4 / /mnt rw - vfat /dev/sdc1 rw",  # mounted over the one before
            ]
        )
    )
    assert filesystem_type(Path("/media/anna/CD/DICOM/IM1"), mountinfo) == "iso9660"
    assert filesystem_type(Path("/media/anna/CD TWO"), mountinfo) == "udf"
    assert filesystem_type(Path("/media/anna/CDX"), mountinfo) == "ext4"
    assert filesystem_type(Path("/mnt/a"), mountinfo) == "vfat"
    assert filesystem_type(Path("/home"), mountinfo) == "ext4"


def test_filesystem_type_is_empty_when_unknown(tmp_path: Path) -> None:
    assert filesystem_type(Path("/"), tmp_path / "missing") == ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux mount table")
def test_filesystem_type_on_this_machine() -> None:
    assert filesystem_type(Path("/proc/self")) == "proc"
