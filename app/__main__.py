"""Entry point: ``lightbox`` / ``python -m app``. No arguments opens the viewer."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
