#!/bin/sh
# Lightbox for macOS: sign the app, build the .dmg, notarise and staple it.
# Run on a Mac, from the checkout's root, after `pyinstaller pyinstaller.spec` wrote
# dist/Lightbox.app. Everything secret comes from the environment or the keychain
# (installers/macos/README.md):
#   CODESIGN_IDENTITY  e.g. "Developer ID Application: Name (TEAMID)"; unset: no signing
#   NOTARY_PROFILE     a notarytool keychain profile; unset: no notarisation
#   ENTITLEMENTS       optional entitlements .plist for codesign
#   APP, VERSION       default: dist/Lightbox.app and its CFBundleShortVersionString
set -eu

app="${APP:-dist/Lightbox.app}"
here="$(cd "$(dirname "$0")" && pwd)"
version="${VERSION:-$(/usr/libexec/PlistBuddy -c 'Print :CFBundleShortVersionString' "$app/Contents/Info.plist")}"
dmg="dist/Lightbox-$version-macos-$(uname -m).dmg"

[ -d "$app" ] || { echo "$app is missing: run pyinstaller pyinstaller.spec first." >&2; exit 2; }

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    # Hardened runtime (required by notarisation) and a secure timestamp. PyInstaller's
    # bundle signs its nested code in place; --deep re-signs whatever it missed.
    set -- --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY"
    [ -n "${ENTITLEMENTS:-}" ] && set -- "$@" --entitlements "$ENTITLEMENTS"
    codesign "$@" "$app"
    codesign --verify --deep --strict --verbose=2 "$app"
else
    echo "CODESIGN_IDENTITY is not set: the app and the disk image are not signed." >&2
fi

rm -f "$dmg"
dmgbuild -s "$here/dmg_settings.py" -D app="$app" "Lightbox" "$dmg"

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --timestamp --sign "$CODESIGN_IDENTITY" "$dmg"
fi
if [ -n "${NOTARY_PROFILE:-}" ]; then
    # The profile was stored once with `xcrun notarytool store-credentials` (README).
    xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
    xcrun stapler staple "$dmg"
    xcrun stapler validate "$dmg"
    spctl --assess --type open --context context:primary-signature --verbose=2 "$dmg"
else
    echo "NOTARY_PROFILE is not set: the disk image is not notarised (Gatekeeper will warn)." >&2
fi
echo "$dmg"
