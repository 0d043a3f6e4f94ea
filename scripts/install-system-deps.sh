#!/bin/sh
# Install the Debian/Ubuntu packages the test suite drives, when root and missing.
# Not root, or not apt: say what is missing; the tests that need a tool then skip with
# a reason naming its package (and fail under CI=true).
set -u

# Tools for tests; Qt's runtime libraries for the GUI (present on any desktop, absent
# on a minimal server image); python3-venv for the .venv on Debian. chromium and
# nginx-light: the viewer-link test opens the OHIF web viewer in a real browser.
# genisoimage: isoinfo lists the ISO images lightbox export writes.
# desktop-file-utils, appstream, lintian, dpkg-dev: make package and its tests
# (desktop-file-validate, appstreamcli validate, dpkg-deb, lintian).
PACKAGES="dcmtk dicom3tools xorriso genisoimage xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0
libxkbcommon-x11-0 libxcb-xkb1 libxcb-render-util0 libxcb-image0 libxcb-shape0 libxcb-randr0
libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 iproute2 util-linux curl
orthanc orthanc-dicomweb chromium nginx-light
desktop-file-utils appstream lintian dpkg-dev"

missing=""
for pkg in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if ! python3 -c 'import ensurepip' 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
    missing="$missing python3-venv"
fi
# npm fetches the OHIF viewer's built files (tests/support/ohif.py). Only when there is no
# npm at all: a Node.js from elsewhere (e.g. NodeSource) brings its own, and conflicts.
if ! command -v npm >/dev/null 2>&1; then
    missing="$missing npm"
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    # Packages such as orthanc and nginx would start a server listening on every interface:
    # keep services from starting while installing (the tests start their own, isolated).
    guard=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        guard=yes
    fi
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null \
        || echo "Could not install some of:$missing (tests that need them will say so)." >&2
    [ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d
else
    echo "Missing system packages:$missing" >&2
    echo "Install them with: sudo apt-get install$missing (tests that need them will skip)." >&2
fi
exit 0
