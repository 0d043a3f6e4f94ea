"""Synthetic sample media: the phantom and the disc writer (``lightbox sample-disc``)."""
