"""Which earlier series goes beside which current one: modality, body part and plane
first, then the description; each series used once; a plain reason for each pair."""

import pytest

from app.services.series_matching import (
    SeriesRecord,
    describe_plane,
    match_series,
    no_match_sentence,
    plane_of,
)


def s(uid: str, modality: str = "CT", body: str = "CHEST", plane: str = "axial",
      description: str = "", images: int = 100) -> SeriesRecord:
    return SeriesRecord(uid, modality, body, plane, description, images)  # type: ignore[arg-type]


@pytest.mark.parametrize(("orientation", "plane"), [
    ((1, 0, 0, 0, 1, 0), "axial"),
    ((1, 0, 0, 0, 0, -1), "coronal"),
    ((0, 1, 0, 0, 0, -1), "sagittal"),
    ((1, 0, 0, 0, 0.966, -0.259), "axial"),  # a 15 degree gantry tilt
    ((1, 0, 0, 0, 0.707, -0.707), "oblique"),
    ((0.0, 0.0, 0.0, 0.0, 0.0, 0.0), ""),
    ((1, 0, 0), ""),
    (None, ""),
    (("a", 0, 0, 0, 1, 0), ""),
])
def test_the_plane_comes_from_image_orientation(orientation: object, plane: str) -> None:
    assert plane_of(orientation) == plane  # type: ignore[arg-type]


# (current series, prior series, expected [(current uid, prior uid)] best first)
TABLE = [
    # Modality first: an MR series is never put beside a CT one.
    ([s("ct")], [s("mr", "MR"), s("ct-old")], [("ct", "ct-old")]),
    ([s("ct")], [s("mr", "MR")], []),
    ([s("ct", modality="")], [s("x", modality="")], []),
    # Then body part, even against a matching description.
    ([s("ct", description="AX 5MM")],
     [s("abd", body="ABDOMEN", description="AX 5MM"), s("chest", description="LUNG")],
     [("ct", "chest")]),
    # A synonym is the same part; a part of the other counts more than another part.
    ([s("ct", body="THORAX")], [s("abd", body="ABDOMEN"), s("chest")], [("ct", "chest")]),
    ([s("ct")], [s("head", body="HEAD"), s("cap", body="CHESTABDPELVIS")], [("ct", "cap")]),
    # An unknown body part ranks between the same and another one.
    ([s("ct")], [s("abd", body="ABDOMEN"), s("unknown", body="")], [("ct", "unknown")]),
    ([s("ct")], [s("unknown", body=""), s("chest")], [("ct", "chest")]),
    # Then the plane.
    ([s("ax")], [s("cor", plane="coronal"), s("ax-old")], [("ax", "ax-old")]),
    ([s("ax")], [s("cor", plane="coronal"), s("unknown", plane="")], [("ax", "unknown")]),
    # Then the description, then the number of images.
    ([s("soft", description="AX 5MM SOFT TISSUE")],
     [s("lung", description="AX 5MM LUNG"), s("soft-old", description="AX 5MM SOFT TISSUE")],
     [("soft", "soft-old")]),
    ([s("a", images=120)], [s("b", images=30), s("c", images=110)], [("a", "c")]),
    # Each series is used once: the second current series gets the next best.
    ([s("soft", description="SOFT TISSUE"), s("lung", description="LUNG")],
     [s("lung-old", description="LUNG"), s("soft-old", description="SOFT TISSUE")],
     [("soft", "soft-old"), ("lung", "lung-old")]),
    ([s("a"), s("b")], [s("only")], [("a", "only")]),
    # Localizers come last, after the series a doctor compares.
    ([s("scout", plane="coronal", description="SCOUT", images=1),
      s("axial", description="AXIAL SOFT TISSUE", images=120)],
     [s("scout-old", plane="coronal", description="SCOUT", images=1),
      s("axial-old", description="AXIAL SOFT TISSUE", images=120)],
     [("axial", "axial-old"), ("scout", "scout-old")]),
    # MR: T2 axial beside T2 axial, T1 sagittal beside T1 sagittal.
    ([s("t1-sag", "MR", "BRAIN", "sagittal", "SAG T1"),
      s("t2-ax", "MR", "BRAIN", "axial", "AX T2 FLAIR")],
     [s("old-t2-ax", "MR", "HEAD", "axial", "AX T2 FLAIR FS"),
      s("old-t1-sag", "MR", "HEAD", "sagittal", "SAG T1 FS"),
      s("old-t1-ax", "MR", "HEAD", "axial", "AX T1")],
     [("t2-ax", "old-t2-ax"), ("t1-sag", "old-t1-sag")]),
]


@pytest.mark.parametrize(("current", "prior", "pairs"), TABLE)
def test_series_are_paired_best_first(current: list[SeriesRecord],
                                      prior: list[SeriesRecord],
                                      pairs: list[tuple[str, str]]) -> None:
    found = match_series(current, prior)
    assert [(m.current.series_uid, m.prior.series_uid) for m in found] == pairs


@pytest.mark.parametrize(("current", "prior", "reason"), [
    (s("a", description="AX SOFT"), s("b", description="AX SOFT"),
     "Same kind of scan (CT), same part of the body (the chest), both cross-sections "
     "(axial), same description."),
    (s("a", description="AX SOFT"), s("b", description="AX LUNG", body="ABDOMEN",
                                      plane="coronal"),
     "Same kind of scan (CT), similar description; differs in part of the body (the chest"
     " / the belly) and direction (axial / coronal)."),
    (s("a", body="CHEST"), s("b", body="XYZZY"),
     "Same kind of scan (CT), both cross-sections (axial); differs in part of the body."),
    (s("a", body="XYZZY"), s("b", body="xyzzy"),
     "Same kind of scan (CT), same part of the body, both cross-sections (axial)."),
    (s("a", "MR", "", "", "T1"), s("b", "MR", "", "", "T2"), "Same kind of scan (MR)."),
])
def test_each_pair_says_why_in_plain_words(current: SeriesRecord, prior: SeriesRecord,
                                           reason: str) -> None:
    assert [m.reason for m in match_series([current], [prior])] == [reason]


@pytest.mark.parametrize(("plane", "both"), [
    ("sagittal", "both side views (sagittal)"),
    ("coronal", "both front views (coronal)"),
    ("axial", "both cross-sections (axial)"),
])
def test_a_pair_cut_the_same_way_names_its_own_plane(plane: str, both: str) -> None:
    current, prior = s("a", plane=plane), s("b", plane=plane)
    [match] = match_series([current], [prior])
    reason = f"Same kind of scan (CT), same part of the body (the chest), {both}."
    assert match.reason == reason
    assert match.reason_in(plain=True) == reason  # the plane is already said in words


def test_planes_that_differ_are_named_in_the_full_view_and_described_in_the_simple_one() -> None:
    [match] = match_series([s("a", plane="sagittal")], [s("b", plane="coronal")])
    assert match.reason == ("Same kind of scan (CT), same part of the body (the chest); "
                            "differs in direction (sagittal / coronal).")
    assert match.reason_in(plain=False) == match.reason
    assert match.reason_in(plain=True) == (
        "Same kind of scan (CT), same part of the body (the chest); differs in direction "
        "(side views / front views).")


def test_the_plane_in_words_with_and_without_its_name() -> None:
    assert describe_plane("sagittal") == "side views (sagittal)"
    assert describe_plane("sagittal", plain=True) == "side views"
    assert describe_plane("") == describe_plane("", plain=True) == ""


def test_no_match_in_each_view() -> None:
    assert no_match_sentence(False) == (
        "No series of the earlier study matches this one's; drag one from the list.")
    assert no_match_sentence(True) == (
        "No set of pictures of the earlier scan matches this one's; drag one from the list.")
