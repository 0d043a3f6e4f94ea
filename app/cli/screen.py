"""Is there a screen for a window? Answered from the environment, before Qt starts.

Without a display, Qt's default platform plugin aborts the whole process (a core dump,
exit 134); one plain sentence and exit 2 are what a user (or a script) needs instead.
"""

import os
import sys
from collections.abc import Mapping

# Qt platform plugins that draw without a window system.
HEADLESS_PLATFORMS = frozenset({
    "offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs", "vkkhrdisplay",
})


def missing_screen(environ: Mapping[str, str] | None = None,
                   platform: str | None = None) -> str | None:
    """What is missing for a window ("DISPLAY is not set"...), or None when Qt can show
    one. Only X11/Wayland systems are checked; Windows and macOS always have a screen."""
    env = os.environ if environ is None else environ
    system = sys.platform if platform is None else platform
    if system in ("win32", "darwin", "cygwin"):
        return None
    wanted = [part.split(":")[0].strip().lower()
              for part in env.get("QT_QPA_PLATFORM", "").split(";") if part.strip()]
    has_x, has_wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    if not wanted:  # Qt picks xcb or wayland itself
        return None if has_x or has_wayland else "DISPLAY is not set"
    for name in wanted:
        if (name in HEADLESS_PLATFORMS or (name == "xcb" and has_x)
                or (name.startswith("wayland") and has_wayland)):
            return None
    if wanted[0].startswith("wayland"):
        return "WAYLAND_DISPLAY is not set"
    if wanted[0] == "xcb":
        return "DISPLAY is not set"
    return f"QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']} cannot show a window here"
