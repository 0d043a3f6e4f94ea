"""Running `lightbox` in its own process, with its own HOME, XDG folders and keyring."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"


def cli_env(tmp_path: Path, backend: str | None) -> dict[str, str]:
    """A clean environment under ``tmp_path``: HOME, XDG_DATA_HOME (where keyrings.alt
    writes), XDG_CONFIG_HOME, LIGHTBOX_HOME = tmp_path/home, and PYTHON_KEYRING_BACKEND
    = ``backend`` (unset when None)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "PYTHON_KEYRING", "DBUS_", "LIGHTBOX_HOME"))}
    env.update(HOME=str(tmp_path / "user"), XDG_DATA_HOME=str(tmp_path / "xdg-data"),
               XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
               LIGHTBOX_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    if backend:
        env["PYTHON_KEYRING_BACKEND"] = backend
    return env


def lightbox_argv(*args: str) -> list[str]:
    """The command line of `lightbox ARGS` with this interpreter."""
    return [sys.executable, "-m", "app", *args]


def lightbox(env: dict[str, str], *args: str, stdin: str = "",
             timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    """Run `lightbox ARGS` to the end; its exit code, stdout and stderr."""
    return subprocess.run(lightbox_argv(*args), input=stdin, env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, check=False)


def python(env: dict[str, str], code: str) -> str:
    """The stdout of ``python -c CODE`` in ``env``."""
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def run_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`lightbox ARGS` run in this process: (exit code, stdout, stderr)."""
    from app.cli import main

    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def json_of(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    """Run ``lightbox ARGS`` in this process and return its JSON output (exit 0 or 1)."""
    code, out, _ = run_in_process(capsys, *args)
    assert code in (0, 1)
    data: dict[str, object] = json.loads(out)
    return data


def studies_of(scan: dict[str, object]) -> list[dict[str, object]]:
    """Every study object of ``scan --json`` output, patient by patient."""
    return [s for p in scan["patients"] for s in p["studies"]]  # type: ignore[attr-defined]
