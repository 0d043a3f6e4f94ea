"""`make bench`: every benchmarked path, the app next to its reference floor."""

import sys

from bench import (
    bench_cli,
    bench_compare,
    bench_disc_upload,
    bench_export,
    bench_frozen,
    bench_imaging,
    bench_import,
    bench_media,
    bench_send,
    bench_upload,
    bench_viewer,
)


def main() -> int:
    print("Lightbox benchmarks (medians of alternating runs; ratio = app / reference)")
    bench_media.run()
    bench_imaging.run()
    bench_viewer.run()
    bench_compare.run()
    bench_import.run()
    bench_export.run()
    bench_cli.run()
    bench_upload.run()
    bench_disc_upload.run()
    bench_send.run()
    bench_frozen.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
