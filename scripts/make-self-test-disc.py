#!/usr/bin/env python3
"""Write resources/self-test-disc/, the tiny disc ``lightbox --self-test`` reads (one image
per compressed transfer syntax; see app/samples/self_test_disc.py). Run it again, and
commit the result, when that module changes."""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.samples.self_test_disc import write_self_test_disc  # noqa: E402
from app.services.self_test import SELF_TEST_DISC  # noqa: E402


def main() -> int:
    out = ROOT / "resources" / SELF_TEST_DISC
    shutil.rmtree(out, ignore_errors=True)
    write_self_test_disc(out)
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
