"""`lightbox --self-test` and `--version`: the one version string, and a headless check
of every decoder and the library that names what failed."""

import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread

import app
from app.cli import main
from app.samples.self_test_disc import SELF_TEST_SYNTAXES, write_self_test_disc
from app.services.self_test import run_self_test, self_test_disc
from tests.conftest import REPO
from tests.support.cli import cli_env, lightbox, run_in_process


def test_the_version_is_one_string(capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "app.__version__"}
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"lightbox {app.__version__}\n"


def test_the_bundled_disc_is_the_one_the_module_writes(tmp_path: Path) -> None:
    bundled = self_test_disc()
    assert bundled is not None, "no resources/self-test-disc: scripts/make-self-test-disc.py"
    fresh = write_self_test_disc(tmp_path / "disc")
    names = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(bundled) for p in bundled.rglob("*") if p.is_file())
    for name in names:
        if (fresh / name).read_bytes() == (bundled / name).read_bytes():
            continue
        # A lossy encoder (HTJ2K here) rounds differently on another CPU: the same
        # headers and pixels within a grey level or two are the same disc.
        written, committed = dcmread(fresh / name), dcmread(bundled / name)
        stale = f"{name} differs: run scripts/make-self-test-disc.py and commit the result"
        assert committed.get("LossyImageCompression") == "01", stale
        difference = np.abs(written.pixel_array.astype(np.int64)
                            - committed.pixel_array.astype(np.int64)).max()
        del written.PixelData, committed.PixelData
        assert written == committed, stale
        assert difference <= 2, stale


def test_passes_in_its_own_process_without_qt(tmp_path: Path) -> None:
    env = cli_env(tmp_path, None)
    code = ("import sys; from app.cli import main; code = main(['--self-test']); "
            "assert not [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))], "
            "'Qt imported'; sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[-1] == "Self-test passed."
    checks = lines[:-1]
    assert all(line.startswith("ok  ") for line in checks)
    for image in SELF_TEST_SYNTAXES:
        assert any(f"({image.uid})" in line for line in checks), image.uid
    assert any(line.startswith("ok    library:") for line in checks)
    assert not (tmp_path / "home").exists(), "the self-test touched the real library"


def test_a_decoder_that_fails_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydicom.pixels.decoders.base import DecodeRunner

    def broken(self: DecodeRunner, *args: object, **kwargs: object) -> None:
        if self.transfer_syntax == "1.2.840.10008.1.2.4.90":
            raise RuntimeError("openjpeg is missing")

    monkeypatch.setattr(DecodeRunner, "validate", broken)
    code, out, err = run_in_process(capsys, "--self-test")
    assert code == 1
    assert "FAIL  JPEG 2000 Lossless (1.2.840.10008.1.2.4.90): cannot be decoded" in out
    assert err.count("\n") == 1 and err.startswith("The self-test failed: JPEG 2000 Lossless")
    assert "Self-test passed." not in out


def test_a_damaged_disc_stops_it_with_one_sentence(tmp_path: Path) -> None:
    disc = write_self_test_disc(tmp_path / "disc")
    victim = next(p for p in disc.rglob("IM*"))
    victim.unlink()
    checks = list(run_self_test(disc))
    assert [c.name for c in checks] == ["version", "disc"]
    assert not checks[-1].ok and "14 of 15 images" in checks[-1].detail


def test_without_the_bundled_disc_it_writes_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.services.self_test.resources_dir", lambda: tmp_path / "none")
    checks = list(run_self_test())
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert len(checks) == 2 + len(SELF_TEST_SYNTAXES) + 1


def test_refuses_a_command_beside_it(tmp_path: Path) -> None:
    done = lightbox(cli_env(tmp_path, None), "--self-test", "scan", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == "--self-test takes no command; run it on its own."


