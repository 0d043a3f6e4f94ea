"""Peak resident memory of a command, measured by a fresh helper process.

The helper runs the command as its only child and reports ``ru_maxrss`` of
RUSAGE_CHILDREN: the peak of that child alone, not of the test process or of the servers.
"""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_HELPER = """
import json, resource, subprocess, sys
out, err = open(sys.argv[1], "wb"), open(sys.argv[2], "wb")
code = subprocess.run(sys.argv[3:], stdout=out, stderr=err, stdin=subprocess.DEVNULL).returncode
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
print(json.dumps({"returncode": code, "peak_bytes": peak}))
"""


@dataclass(frozen=True)
class Measured:
    """What the command did and its peak resident set size."""

    returncode: int
    peak_bytes: int
    stdout: str
    stderr: str


def peak_rss(argv: list[str], env: dict[str, str], folder: Path, cwd: Path,
             timeout: float = 600.0) -> Measured:
    """Run ``argv`` (with ``env``, in ``cwd``) under the helper; its output goes through
    files in ``folder``."""
    out, err = folder / "rss-stdout.txt", folder / "rss-stderr.txt"
    done = subprocess.run([sys.executable, "-c", _HELPER, str(out), str(err), *argv],
                          env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=True)
    result = json.loads(done.stdout)
    return Measured(int(result["returncode"]), int(result["peak_bytes"]),
                    out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8"))
