"""`lightbox render`: the same pixels as the pipeline, and one sentence on bad input."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main
from app.imaging.render import render_file


def test_writes_the_pipeline_pixels(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = corpus / "files/signed/CT_small.dcm"
    out = tmp_path / "out.png"
    args = ["render", str(source), "-o", str(out), "--preset", "lung", "--rotate", "90"]
    assert main(args) == 0
    expected = render_file(source, preset="lung", rotate=90)
    assert np.array_equal(np.asarray(Image.open(out)), expected)
    assert "Wrote" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "extra", "words"),
    [
        ("files/deflate/liver_deflate.dcm", [], "1.2.840.10008.1.2.8.1"),
        ("files/signed/CT_small.dcm", ["--preset", "nonsense"], "nonsense"),
        ("files/signed/CT_small.dcm", ["--frame", "5"], "frame"),
        ("no/such/file.dcm", [], "There is no file at"),
    ],
)
def test_bad_input_is_one_sentence(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    name: str, extra: list[str], words: str,
) -> None:
    code = main(["render", str(corpus / name), "-o", str(tmp_path / "x.png"), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert words in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.png").exists()
