"""Send: C-STORE of a 300-image study to dcmtk's storescp, the app against storescu.

``send_studies`` as the app runs it (one association, files streamed as stored,
TCP_NODELAY) against ``storescu`` sending the same files to the same storescp
(TCP_NODELAY=1 on both dcmtk ends), alternately, in the same run; the received files are
removed and the library's send state cleared before every run. Both send PDUs of at most
storescp's ``-pdu 131072`` (the largest it allows: the receiver's limit is what a sender
may use); storescu gets the same ``-pdu`` for what it receives. Target: throughput ratio
(app / storescu) >= 0.8. Runs only inside ``scripts/isolated.sh``'s namespace.
"""

import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from app.cloud.dimse import parse_destination
from app.library.library import Library
from app.media.pydicom_setup import configure_pydicom
from app.services.sending import SendReport, send_studies
from tests.support.storescp import StoreScp, storescp_problem
from tests.support.studies import import_study, write_disc

CACHE = Path(tempfile.gettempdir()) / "lightbox-bench"
MB = 1024 * 1024
RUNS = 5
IMAGES = 300


def _disc() -> Path:
    disc = CACHE / "send-300"
    if not (disc / "DICOMDIR").is_file():
        shutil.rmtree(disc, ignore_errors=True)
        print(f"  (writing send-300 once: {IMAGES} slices)", flush=True)
        write_disc(disc, IMAGES, 512, 512, seed=78)
    return disc


def run() -> None:
    """Run the send benchmark and print it."""
    problem = storescp_problem("make bench")
    if problem or shutil.which("storescu") is None:
        print(f"send: skipped ({problem or 'storescu is not installed'})", flush=True)
        return
    configure_pydicom()
    work = Path(tempfile.mkdtemp(prefix="lightbox-bench-send-"))
    received = work / "received"
    server = StoreScp(received, "+B")
    try:
        home = work / "home"
        with Library(home) as library:
            study = import_study(library, _disc())
            files = [library.store.path(f.file) for f in library.study_files(study)]
            total = sum(f.size for f in library.study_files(study))
            destination = parse_destination(server.address)

            def reset() -> None:
                for f in received.glob("*"):
                    f.unlink()
                with sqlite3.connect(home / "library.sqlite") as db:
                    db.execute("DELETE FROM sends")

            def app() -> None:
                for item in send_studies([study], destination, "LIGHTBOX", library):
                    if isinstance(item, SendReport):
                        assert item.studies[0].confirmed == len(files), item

            def storescu() -> None:
                subprocess.run(["storescu", "-aec", server.aet, "-pdu", "131072",
                                "127.0.0.1", str(server.port), *map(str, files)],
                               env={**os.environ, "TCP_NODELAY": "1"}, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

            def timed(fn: object) -> float:
                reset()
                start = time.perf_counter()
                fn()  # type: ignore[operator]
                seconds = time.perf_counter() - start
                assert len(list(received.glob("*.dcm"))) == len(files)
                return seconds

            timed(app)
            timed(storescu)
            app_times, scu_times = [], []
            for _ in range(RUNS):
                app_times.append(timed(app))
                scu_times.append(timed(storescu))
        ratio = statistics.median(s / a for a, s in zip(app_times, scu_times, strict=True))
        print(f"send of a {total / MB:.0f} MB study ({len(files)} images) to storescp: "
              f"app {total / MB / statistics.median(app_times):.0f} MB/s | reference "
              f"{total / MB / statistics.median(scu_times):.0f} MB/s (storescu) | "
              f"throughput ratio {ratio:.2f} (target >= 0.8)", flush=True)
        print("  per run (s): app " + " ".join(f"{t:.2f}" for t in app_times)
              + " | storescu " + " ".join(f"{t:.2f}" for t in scu_times), flush=True)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run()
