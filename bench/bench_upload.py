"""Upload: STOW-RS to a real Orthanc against curl posting the same bytes, and memory.

1. Upload of a ~160 MB sample study (313 images of 512 x 512) with ``upload_studies``
   as the app runs it (in process, default batches and connections) against ``curl``
   POSTing the same multipart bytes, prebuilt in one file, to the same Orthanc
   (authentication on, TCP_NODELAY=1), alternately; Orthanc's copy of the study is
   deleted before every run so both sides do the same work. Target: throughput ratio
   (app / curl) >= 0.9. The app with one connection is shown too, like for like.
2. Peak RSS of ``lightbox upload`` of a ~1 GB study (2001 images), with the largest file
   and the limit (2 x largest + 150 MB).

Orthanc binds every interface, so this runs only inside the loopback-only network
namespace of ``scripts/isolated.sh`` (``make bench``); elsewhere it says it was skipped.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from app.cloud.accounts import Account
from app.cloud.dicomweb import DicomWebClient, StowFile, _multipart
from app.library.library import Library
from app.media.pydicom_setup import configure_pydicom
from app.services.uploading import CONNECTIONS, UploadReport, upload_studies
from tests.support.orthanc import Orthanc, orthanc_problem
from tests.support.rss import peak_rss
from tests.support.studies import forget_uploads, import_study, study_files, write_disc

CACHE = Path(tempfile.gettempdir()) / "lightbox-bench"
REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
RUNS = 5


def _disc(name: str, slices: int) -> Path:
    """A sample disc of 512 x 512 images, written once and kept between runs."""
    disc = CACHE / name
    if not (disc / "DICOMDIR").is_file():
        shutil.rmtree(disc, ignore_errors=True)
        print(f"  (writing {name} once: {slices} slices)", flush=True)
        write_disc(disc, slices, 512, 512, seed=77)
    return disc


def _throughput(work: Path, orthanc: Orthanc) -> None:
    home = work / "home"
    with Library(home) as library:
        study = import_study(library, _disc("upload-160mb", 250))
        files = [StowFile(i.sop_instance_uid, library.store.path(i.file), i.size)
                 for i in library.pending_uploads(study, "bench")]
        total = sum(f.size for f in files)
        boundary = uuid.uuid4().hex
        body = work / "body.multipart"
        with open(body, "wb") as fh:
            for piece in _multipart(files, boundary):
                fh.write(piece)
        account = Account("bench", orthanc.dicomweb, "basic", orthanc.username)

        def app(connections: int = CONNECTIONS) -> None:
            report = None
            for item in upload_studies([study], account, library,
                                       lambda: DicomWebClient(account, orthanc.password),
                                       connections=connections):
                report = item
            assert isinstance(report, UploadReport) and report.studies[0].complete

        curl_argv = [
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect:",
            "-H", f'Content-Type: multipart/related; type="application/dicom"; '
                  f"boundary={boundary}",
            "--data-binary", f"@{body}", "-u", f"{orthanc.username}:{orthanc.password}",
            f"{orthanc.dicomweb}/studies",
        ]

        def curl() -> None:
            done = subprocess.run(curl_argv, capture_output=True, text=True, check=True,
                                  timeout=600)
            assert done.stdout == "200", done.stdout

        def reset() -> None:
            orthanc.delete_everything()
            forget_uploads(home)

        def timed(fn: Callable[[], None]) -> float:
            reset()
            start = time.perf_counter()
            fn()
            seconds = time.perf_counter() - start
            assert orthanc.instance_count() == len(files)
            return seconds

        timed(app)
        timed(curl)  # Warm-up: page cache, Orthanc's first requests.
        app_times, curl_times, single_times = [], [], []
        for _ in range(RUNS):
            app_times.append(timed(app))
            curl_times.append(timed(curl))
            single_times.append(timed(lambda: app(1)))
    ratio = statistics.median(c / a for a, c in zip(app_times, curl_times, strict=True))
    app_rate = total / MB / statistics.median(app_times)
    curl_rate = total / MB / statistics.median(curl_times)
    print(f"upload of a {total / MB:.0f} MB study ({len(files)} images) to Orthanc: "
          f"app {app_rate:.0f} MB/s (upload_studies, {CONNECTIONS} connections, "
          f"batches of 50) | "
          f"reference {curl_rate:.0f} MB/s (curl, one multipart POST of the same bytes) | "
          f"throughput ratio {ratio:.2f} (target >= 0.9)", flush=True)
    single = statistics.median(c / a for a, c in zip(single_times, curl_times, strict=True))
    print(f"  like for like, one connection: app "
          f"{total / MB / statistics.median(single_times):.0f} MB/s, ratio {single:.2f}",
          flush=True)
    print("  per run (s): app " + " ".join(f"{t:.2f}" for t in app_times)
          + " | curl " + " ".join(f"{t:.2f}" for t in curl_times)
          + " | app, one connection " + " ".join(f"{t:.2f}" for t in single_times),
          flush=True)


def _peak_memory(work: Path, orthanc: Orthanc) -> None:
    home = work / "home-1gb"
    with Library(home) as library:
        study = import_study(library, _disc("upload-1gb", 1600))
    sizes = [p.stat().st_size for p in study_files(home, study).values()]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "PYTHON_KEYRING", "DBUS_"))}
    # A keyring chosen on purpose, in this run's own folder (never the user's).
    env.update(LIGHTBOX_HOME=str(home), XDG_DATA_HOME=str(work / "xdg-data"),
               XDG_CONFIG_HOME=str(work / "xdg-config"),
               PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    lightbox = [sys.executable, "-m", "app"]
    subprocess.run([*lightbox, "account", "add", "bench", "--url", orthanc.dicomweb,
                    "--username", orthanc.username, "--password-stdin"],
                   input=orthanc.password + "\n", env=env, cwd=REPO, text=True,
                   capture_output=True, check=True, timeout=60)
    orthanc.delete_everything()
    start = time.perf_counter()
    measured = peak_rss([*lightbox, "upload", study, "--account", "bench", "--json"], env,
                        work, REPO)
    seconds = time.perf_counter() - start
    assert measured.returncode == 0, measured.stderr
    limit = 2 * max(sizes) + 150 * MB
    print(f"peak RSS of lightbox upload of a {sum(sizes) / MB:.0f} MB study "
          f"({len(sizes)} images, largest file {max(sizes) / MB:.2f} MB): "
          f"{measured.peak_bytes / MB:.0f} MB (limit {limit / MB:.0f} MB; "
          f"{sum(sizes) / MB / seconds:.0f} MB/s including start-up)", flush=True)


def run() -> None:
    """Run the upload benchmarks (inside the test network namespace) and print them."""
    problem = orthanc_problem("make bench")
    if problem:
        print(f"upload: skipped ({problem})", flush=True)
        return
    if shutil.which("curl") is None:
        print("upload: skipped (curl is not installed; Debian package: curl)", flush=True)
        return
    configure_pydicom()
    work = Path(tempfile.mkdtemp(prefix="lightbox-bench-upload-"))
    orthanc = Orthanc(work / "orthanc")
    try:
        orthanc.start()
        _throughput(work, orthanc)
        _peak_memory(work, orthanc)
    finally:
        orthanc.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run()
