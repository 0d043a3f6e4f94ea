#!/usr/bin/env python3
"""Make the app icon's sizes from resources/icons/lightbox.svg: PNGs (16 to 512 px), a
Windows .ico and a macOS .icns, beside the SVG. Rasterised by Qt's QSvgRenderer (offscreen,
no screen needed), written by Pillow. Run it after changing the SVG and commit the result.
"""

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QBuffer, QByteArray, QIODevice  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "lightbox.svg"))
    if not renderer.isValid():
        print("resources/icons/lightbox.svg cannot be read", file=sys.stderr)
        return 1
    images = {size: render(renderer, size) for size in SIZES}
    for size, image in images.items():
        image.save(ICONS / f"lightbox-{size}.png", optimize=True)
    images[256].save(ICONS / "lightbox.ico", sizes=[(s, s) for s in SIZES if s <= 256],
                     append_images=[images[s] for s in SIZES if s <= 256])
    images[512].save(ICONS / "lightbox.icns", append_images=[images[s] for s in SIZES])
    print(f"Wrote {len(SIZES)} PNGs, lightbox.ico and lightbox.icns to {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
