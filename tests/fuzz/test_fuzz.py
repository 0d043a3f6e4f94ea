"""A short fuzz run in every `make test` (a fixed seed, so CI is repeatable); `make fuzz`
runs the same readers with a far larger budget."""

import subprocess
import sys

from tests.conftest import REPO

EXAMPLES = 100
SEED = 8


def test_mutated_media_raise_only_lightbox_errors_within_time_and_memory() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.readers", "--examples", str(EXAMPLES),
         "--seed", str(SEED)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-6000:]
    assert result.stdout.count("only Lightbox errors") == 6
