"""The macOS and Windows recipes cannot run here: check what can be checked on Linux."""

import plistlib
import re
import subprocess

from tests.conftest import REPO
from tests.packaging.helpers import APP_ID

PLIST = REPO / "resources" / "macos" / "Info.plist"
ISS = REPO / "installers" / "windows" / "lightbox.iss"


def test_info_plist_parses_and_declares_dicom_folders_and_discs() -> None:
    with PLIST.open("rb") as handle:
        info = plistlib.load(handle)
    assert info["CFBundleIdentifier"] == APP_ID
    assert info["NSHighResolutionCapable"] is True
    assert re.fullmatch(r"\d+\.\d+", info["LSMinimumSystemVersion"])
    handled = {uti for kind in info["CFBundleDocumentTypes"] for uti in kind["LSItemContentTypes"]}
    assert {"org.nema.dicom", "public.folder", "public.volume"} <= handled
    assert all(kind["CFBundleTypeRole"] == "Viewer" for kind in info["CFBundleDocumentTypes"])
    (dicom,) = info["UTImportedTypeDeclarations"]
    assert dicom["UTTypeIdentifier"] == "org.nema.dicom"
    assert "dcm" in dicom["UTTypeTagSpecification"]["public.filename-extension"]
    assert "application/dicom" in dicom["UTTypeTagSpecification"]["public.mime-type"]


def test_dmg_script_is_valid_shell_and_keeps_secrets_in_the_environment() -> None:
    script = REPO / "installers" / "macos" / "build-dmg.sh"
    subprocess.run(["sh", "-n", str(script)], check=True)
    text = script.read_text()
    assert '--keychain-profile "$NOTARY_PROFILE"' in text
    assert '"$CODESIGN_IDENTITY"' in text
    assert "--options runtime" in text
    compile((REPO / "installers" / "macos" / "dmg_settings.py").read_text(), "dmg", "exec")


def test_inno_script_installs_per_user_and_uninstalls_every_key_it_writes() -> None:
    text = ISS.read_text()
    assert "PrivilegesRequired=lowest" in text
    registry = [line for line in text.splitlines() if line.startswith("Root:")]
    assert registry and all(line.startswith("Root: HKCU;") for line in registry)
    # Each key created is deleted with its subkeys, or the value alone in a shared key.
    for line in registry:
        subkey = re.search(r'Subkey: "([^"]+)"', line)
        assert subkey is not None
        owned = [other for other in registry if "uninsdeletekey" in other
                 and subkey.group(1).startswith(re.search(r'Subkey: "([^"]+)"', other)
                                                .group(1))]  # type: ignore[union-attr]
        assert owned or "uninsdeletevalue" in line, line
    for event in ("MixedContentOnArrival", "UnknownContentOnArrival", "ShowPicturesOnArrival"):
        assert f"EventHandlers\\{event}" in text
    assert 'Software\\Classes\\.dcm\\OpenWithProgids' in text
    assert "SetupIconFile=..\\..\\resources\\icons\\lightbox.ico" in text
