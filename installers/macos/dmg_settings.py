"""dmgbuild settings for Lightbox's disk image: the app and a link to /Applications.

    dmgbuild -s installers/macos/dmg_settings.py -D app=dist/Lightbox.app "Lightbox" out.dmg

build-dmg.sh runs it (with the signed, notarised app). ``defines`` is given by dmgbuild.
"""

import os.path

application = defines.get("app", "dist/Lightbox.app")  # type: ignore[name-defined]  # noqa: F821
appname = os.path.basename(application)

format = "UDZO"  # zlib-compressed, readable on every supported macOS
filesystem = "HFS+"
size = None  # computed from the contents

files = [application]
symlinks = {"Applications": "/Applications"}
icon_locations = {appname: (140, 120), "Applications": (500, 120)}
badge_icon = None

window_rect = ((200, 200), (640, 300))
default_view = "icon-view"
show_status_bar = False
show_tab_view = False
show_toolbar = False
show_pathbar = False
show_sidebar = False
icon_size = 128
text_size = 14
