"""The plain-words sentences on a table of realistic header values: descriptions as
clinics write them (abbreviations, protocol names, German, French, Japanese and Chinese
words, empty, garbage, control characters, very long), with the exact sentence expected.

Each expected sentence was read and checked by hand: it says only what the header says
(kind, region, contrast, plane, sequence, view, date, place, counts), never a finding.
"""

import pytest

from app.explain import SeriesFacts as S
from app.explain import StudyFacts as St
from app.explain import explain_body_part, explain_series, explain_study

LONG = "AXIAL " * 40

SERIES = [
    (S("CT", "ABDOMEN", "AX 5.0 W/WO", images=120),
     "CT scan of the belly with and without contrast dye: cross-section slices (axial). 120 "
     "pictures."),
    (S("CT", "CHEST", "CT ABD PELV W/WO", images=300),
     "CT scan of the chest with and without contrast dye. 300 pictures."),
    (S("MR", "KNEE", "AX T2 FS", images=24),
     "MRI scan of the knee: cross-section slices (axial), T2-weighted (fluid looks bright), "
     "fat signal suppressed. 24 pictures."),
    (S("MR", "KNEE", "SAG PD FS", images=30),
     "MRI scan of the knee: side-view slices (sagittal), proton density, fat signal "
     "suppressed. 30 pictures."),
    (S("MR", "BRAIN", "COR FLAIR", images=28),
     "MRI scan of the brain: front-view slices (coronal), FLAIR (T2 with fluid made dark). 28 "
     "pictures."),
    (S("MR", "HEAD", "AX DWI", images=40),
     "MRI scan of the head: cross-section slices (axial), diffusion (water movement). 40 "
     "pictures."),
    (S("MR", "HEAD", "ADC", images=20),
     "MRI scan of the head: diffusion map (ADC). 20 pictures."),
    (S("MR", "LSPINE", "SAG T1", images=15),
     "MRI scan of the lower back part of the spine: side-view slices (sagittal), T1-weighted "
     "(fluid looks dark). 15 pictures."),
    (S("MR", "LSPINE", "sag_t2_tse", images=15),
     "MRI scan of the lower back part of the spine: side-view slices (sagittal), T2-weighted "
     "(fluid looks bright). 15 pictures."),
    (S("MR", "", "t1_mprage_sag_p2_iso", images=176),
     "MRI scan: T1-weighted (fluid looks dark), side-view slices (sagittal). 176 pictures."),
    (S("MR", "BRAIN", "3D TOF MRA", images=160),
     "MRI scan of the brain: 3D, pictures of the blood vessels (angiography). 160 pictures."),
    (S("MR", "", "ep2d_diff_3scan_trace_p2_ADC", images=25),
     "MRI scan: diffusion (water movement), diffusion map (ADC). 25 pictures."),
    (S("MR", "PELVIS", "AX STIR", images=30),
     "MRI scan of the pelvis: cross-section slices (axial), STIR (fat signal suppressed). 30 "
     "pictures."),
    (S("MR", "", "3-plane loc", images=9),
     "MRI scan: overview pictures used to plan the scan. 9 pictures."),
    (S("MR", "ABDOMEN", "AX T1 FAT SAT POST GAD", contrast_agent="Gadovist", images=60),
     "MRI scan of the belly with contrast dye: cross-section slices (axial), T1-weighted "
     "(fluid looks dark), fat signal suppressed. 60 pictures."),
    (S("MR", "SHOULDER", "COR T2 FATSAT RT", images=22),
     "MRI scan of the shoulder: front-view slices (coronal), T2-weighted (fluid looks "
     "bright), fat signal suppressed, right side. 22 pictures."),
    (S("CT", "", "Topogram 0.6 T20s", images=1),
     "CT scan: overview pictures used to plan the scan. 1 picture."),
    (S("CT", "CHEST", "SURVIEW", images=2),
     "CT scan of the chest: overview pictures used to plan the scan. 2 pictures."),
    (S("CT", "CHEST", "HRCT 1.0 LUNG", images=250),
     "CT scan of the chest: high-resolution. 250 pictures."),
    (S("CT", "", "CTA HEAD NECK", contrast_agent="OMNIPAQUE 350", images=400),
     "CT scan of the head and neck with contrast dye: pictures of the blood vessels "
     "(angiography). 400 pictures."),
    (S("CT", "HEAD", "Head 5mm C-", images=32),
     "CT scan of the head without contrast dye. 32 pictures."),
    (S("CT", "ABDOMEN", "Abd C+ Portal venous", contrast_agent="Ultravist 370", images=90),
     "CT scan of the belly with contrast dye: venous phase. 90 pictures."),
    (S("CT", "CHEST", "MIP 10mm COR", images=40),
     "CT scan of the chest: maximum intensity projection (brightest points), front-view "
     "slices (coronal). 40 pictures."),
    (S("CT", "", "Dose Report", images=1),
     "CT scan: dose summary. 1 picture."),
    (S("CT", "CHEST", "Thorax nativ", images=80),
     "CT scan of the chest without contrast dye. 80 pictures."),
    (S("CT", "", "SCHAEDEL", images=30),
     "CT scan of the skull. 30 pictures."),
    (S("CT", "", "Schädel nativ axial", images=30),
     "CT scan of the skull without contrast dye: cross-section slices (axial). 30 pictures."),
    (S("CT", "", "胸部単純CT", images=100),
     "CT scan of the chest without contrast dye. 100 pictures."),
    (S("CT", "", "头颅平扫", images=20),
     "CT scan of the head without contrast dye. 20 pictures."),
    (S("MR", "", "頭部 MRI 造影 T1 軸位", images=20),
     "MRI scan of the head with contrast dye: cross-section slices (axial), T1-weighted "
     "(fluid looks dark). 20 pictures."),
    (S("CT", "", "", images=10),
     "CT scan. 10 pictures."),
    (S("MR", "", "^^^", images=3),
     "MRI scan. 3 pictures."),
    (S("CT", "", LONG, images=4),
     "CT scan: cross-section slices (axial). 4 pictures."),
    (S("CR", "CHEST", "", view_position="PA", images=1),
     "X-ray of the chest: taken from back to front (PA). 1 picture."),
    (S("CR", "CHEST", "Chest LAT", view_position="LL", images=1),
     "X-ray of the chest: taken from the side. 1 picture."),
    (S("DX", "KNEE", "KNEE AP", view_position="AP", images=1),
     "X-ray of the knee: taken from front to back (AP). 1 picture."),
    # "OBLI", as a DCMTK test disc writes the oblique views of a neck X-ray.
    (S("CR", "CSPINE", "Cervical OBLI 1", images=1),
     "X-ray of the neck part of the spine: taken at an angle. 1 picture."),
    (S("DX", "HAND", "L HAND 2 VIEWS", images=2),
     "X-ray of the hand. 2 pictures."),
    (S("MG", "BREAST", "L CC", view_position="CC", images=1),
     "Mammogram (breast X-ray) of the breast: taken from above (CC). 1 picture."),
    (S("MG", "BREAST", "R MLO", view_position="MLO", images=1),
     "Mammogram (breast X-ray) of the breast: taken at an angle from the side (MLO). 1 "
     "picture."),
    (S("US", "ABDOMEN", "", images=35),
     "Ultrasound scan of the belly. 35 pictures."),
    (S("US", "", "Thyroid", images=12),
     "Ultrasound scan of the thyroid. 12 pictures."),
    # Clips: files of many frames. A moving picture where the modality films (ultrasound,
    # angiogram); pictures, one per frame, where a file holds slices (enhanced MRI).
    (S("US", "HEART", "", images=1, clips=1, clip_frames=30),
     "Ultrasound scan of the heart. 1 moving picture (clip) of 30 frames."),
    (S("US", "HEART", "", images=2, clips=2, clip_frames=85),
     "Ultrasound scan of the heart. 2 clips, 85 frames in all."),
    (S("US", "HEART", "", images=13, clips=1, clip_frames=40),
     "Ultrasound scan of the heart. 12 pictures and 1 moving picture (clip) of 40 frames."),
    (S("US", "HEART", "", images=5, clips=2, clip_frames=60),
     "Ultrasound scan of the heart. 3 pictures and 2 clips, 60 frames in all."),
    (S("XA", "CORONARYARTERY", "", images=3, clips=3, clip_frames=240),
     "X-ray of the blood vessels (angiogram) of the heart's arteries (coronary arteries). 3 "
     "clips, 240 frames in all."),
    (S("MR", "HEAD", "", images=1, clips=1, clip_frames=10),
     "MRI scan of the head. 10 pictures."),
    (S("CT", "CHEST", "", images=3, clips=1, clip_frames=200),
     "CT scan of the chest. 202 pictures."),
    (S("US", "", "", images=1, clips=0, clip_frames=0),
     "Ultrasound scan. 1 picture."),
    (S("NM", "WHOLEBODY", "WB ANT", images=1),
     "Nuclear medicine scan of the whole body. 1 picture."),
    (S("PT", "WHOLEBODY", "PET WB AC", images=300),
     "PET scan of the whole body. 300 pictures."),
    (S("XA", "HEART", "LAO 30", images=80),
     "X-ray of the blood vessels (angiogram) of the heart: taken at an angle. 80 pictures."),
    (S("RF", "", "Barium swallow", images=20),
     "Moving X-ray pictures (fluoroscopy). 20 pictures."),
    (S("SR", "", "Dose Report", images=1),
     "Written report: dose summary."),
    (S("KO", "", "Key images", images=1),
     "List of key images."),
    (S("PR", "", "", images=1),
     "Saved display settings for images."),
    (S("SEG", "LIVER", "Liver Segmentation", images=1),
     "Outlines drawn on images (segmentation) of the liver. 1 picture."),
    (S("RTSTRUCT", "", "", images=1),
     "Radiotherapy outlines. 1 picture."),
    (S("OT", "", "Coronarographie", images=1),
     "Medical images. 1 picture."),
    (S("XYZ", "", "AX T1", images=5),
     "Medical images: cross-section slices (axial), T1-weighted (fluid looks dark). 5 "
     "pictures."),
    (S("", "", "CT ABDOMEN", images=5),
     "CT scan of the belly. 5 pictures."),
    (S("", "", ""),
     "Medical images. No pictures."),
    (S("MR", "GARBAGE^^", "SAG T1 W", contrast_agent="NONE", images=12),
     "MRI scan without contrast dye: side-view slices (sagittal), T1-weighted (fluid looks "
     "dark). 12 pictures."),
    (S("CT", "chest", "axial 5mm", contrast_agent="None", images=60),
     "CT scan of the chest without contrast dye: cross-section slices (axial). 60 pictures."),
    (S("MR", "ABDOMEN PELVIS", "COR HASTE", images=30),
     "MRI scan of the belly and pelvis: front-view slices (coronal), T2-weighted (fluid looks "
     "bright). 30 pictures."),
    (S("CT", "THORAX", "Thorax KM venös", images=200),
     "CT scan of the chest with contrast dye. 200 pictures."),
    (S("ES", "", "", images=12),
     "Endoscopy pictures. 12 pictures."),
    (S("OPT", "EYE", "", images=128),
     "Eye scan (OCT) of the eye. 128 pictures."),
    (S("IO", "JAW", "", images=1),
     "Dental X-ray (inside the mouth) of the jaw. 1 picture."),
    (S("PX", "", "OPG", images=1),
     "Panoramic dental X-ray. 1 picture."),
    (S("BMD", "LSPINE", "DXA L1-L4", images=1),
     "Bone density scan of the lower back part of the spine. 1 picture."),
    (S("ECG", "", "", images=1),
     "Heart tracing (ECG)."),
    (S("CT", "ＣＨＥＳＴ", "ＡＸ", images=5),
     "CT scan of the chest: cross-section slices (axial). 5 pictures."),
    (S("MR", "", "AX T1\x00\x07 POST", images=5),
     "MRI scan: cross-section slices (axial), T1-weighted (fluid looks dark). 5 pictures."),
]

STUDIES = [
    (St("CT ABD PELV W/WO", "20240312", "St Mary's", ("CT",),
        (S("CT", "CHEST", "", images=2),
         S("CT", "ABDOMEN", "", images=300),
         S("CT", "PELVIS", "", images=210))),
     "CT scan of the belly, pelvis and chest with and without contrast dye, taken 12 March "
     "2024 at St Mary's. 3 sets of pictures, 512 in all."),
    (St("MRI KNEE LEFT", "20230101", "Klinikum Nord", (),
        (S("MR", "KNEE", "SAG PD FS", images=30),
         S("MR", "KNEE", "COR T1", images=24))),
     "MRI scan of the knee, taken 1 January 2023 at Klinikum Nord. 2 sets of pictures, 54 in "
     "all."),
    (St("", "", "", (),
        (S("CR", "CHEST", "", view_position="PA", images=1),
         S("CR", "CHEST", "", view_position="LL", images=1))),
     "X-ray of the chest. 2 sets of pictures, 2 in all."),
    (St("Thorax nativ", "2024.02.29", "Praxis Dr. Müller", (),
        (S("CT", "", "", images=300),)),
     "CT scan of the chest without contrast dye, taken 29 February 2024 at Praxis Dr. Müller. "
     "1 set of 300 pictures."),
    (St("胸部単純CT", "20220707", "東京病院", (),
        (S("CT", "", "", images=100),)),
     "CT scan of the chest without contrast dye, taken 7 July 2022 at 東京病院. 1 set of 100 "
     "pictures."),
    (St("头颅平扫", "20221111", "北京医院", ("CT",),
        (S("CT", "", "", images=20),)),
     "CT scan of the head without contrast dye, taken 11 November 2022 at 北京医院. 1 set of 20 "
     "pictures."),
    (St("^^^", "20241301", "^^^", (),
        (S("MR", "", "", images=3),)),
     "MRI scan. 1 set of 3 pictures."),
    (St("PET/CT WHOLE BODY", "20200202", "", ("PT", "CT"),
        (S("CT", "WHOLEBODY", "", images=300),
         S("PT", "WHOLEBODY", "", images=300))),
     "PET scan and CT scan of the whole body, taken 2 February 2020. 2 sets of pictures, 600 "
     "in all."),
    (St("CT CHEST", "20190520", "A" * 80, ("CT", "SR"),
        (S("CT", "CHEST", "", contrast_agent="Omnipaque", images=200),
         S("SR", "", "", images=1))),
     "CT scan of the chest with contrast dye, taken 20 May 2019 at "
     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…. 2 sets of pictures, 201 "
     "in all."),
    (St("MAMMO SCREENING BILAT", "20210909", "Breast Centre", ("MG",),
        (S("MG", "BREAST", "", images=1),
         S("MG", "BREAST", "", images=1),
         S("MG", "BREAST", "", images=1),
         S("MG", "BREAST", "", images=1))),
     "Mammogram (breast X-ray) of the breast, taken 9 September 2021 at Breast Centre. 4 sets "
     "of pictures, 4 in all."),
    (St("", "", "", ("SR",),
        (S("SR", "", "", images=1),)),
     "Written report. 1 set of 1 picture."),
    (St("Echocardiogram", "19940130", "", ("US",),
        (S("US", "", "", images=10),)),
     "Ultrasound scan, taken 30 January 1994. 1 set of 10 pictures."),
    (St("Echo", "20240312", "", ("US",),
        (S("US", "HEART", "", images=1, clips=1, clip_frames=30),)),
     "Ultrasound scan of the heart, taken 12 March 2024. 1 set: 1 moving picture (clip) of 30 "
     "frames."),
    (St("Echo", "20240312", "", ("US",),
        (S("US", "HEART", "Still", images=12),
         S("US", "HEART", "Loop 1", images=1, clips=1, clip_frames=40),
         S("US", "HEART", "Loop 2", images=1, clips=1, clip_frames=45))),
     "Ultrasound scan of the heart, taken 12 March 2024. 3 sets: 12 pictures and 2 clips, 85 "
     "frames in all."),
    (St("", "", "", ("US", "MR"),
        (S("US", "", "", images=2, clips=2, clip_frames=20),
         S("MR", "", "", images=1, clips=1, clip_frames=10))),
     "Ultrasound scan and MRI scan. 2 sets: 10 pictures and 2 clips, 20 frames in all."),
    (St("CT HEAD", "20240312", "NO INFO", ("CT",),
        (S("CT", "HEAD", "Head 5mm C-", images=30),
         S("CT", "HEAD", "Head 5mm C+", contrast_agent="Omnipaque", images=30))),
     "CT scan of the head with and without contrast dye, taken 12 March 2024. 2 sets of "
     "pictures, 60 in all."),
    (St("MR BRAIN W/O", "", "ANONYMIZED", (),
        (S("MR", "BRAIN", "", images=100),)),
     "MRI scan of the brain without contrast dye. 1 set of 100 pictures."),
    (St("", "20240312", "", (),
        (), images=0),
     "Medical images, taken 12 March 2024. No pictures."),
    (St("CT", "20240312", "", ("CT",),
        (), images=512),
     "CT scan, taken 12 March 2024. 1 set of 512 pictures."),
]


@pytest.mark.parametrize(("series", "expected"), SERIES)
def test_series_sentence(series: S, expected: str) -> None:
    assert explain_series(series) == expected


@pytest.mark.parametrize(("study", "expected"), STUDIES)
def test_study_sentence(study: St, expected: str) -> None:
    assert explain_study(study) == expected


def test_the_example_of_the_issue() -> None:
    study = St("CT CHEST ABD W", "20240312", "St Mary's", ("CT",), (
        S("CT", "CHEST", "Topogram", images=2),
        S("CT", "CHESTABDOMEN", "AX 5mm", contrast_agent="Omnipaque", images=255),
        S("CT", "CHESTABDOMEN", "COR MPR", contrast_agent="Omnipaque", images=255)))
    assert explain_study(study) == (
        "CT scan of the chest and belly with contrast dye, taken 12 March 2024 at St Mary's. "
        "3 sets of pictures, 512 in all.")


def test_no_finding_of_a_description_is_repeated() -> None:
    # Descriptions sometimes carry a diagnosis; only the words of the vocabulary are said.
    study = St("Non-ossifying fibroma of distal tibia", "20040826", "",
               ("CR",), (S("CR", "EXTREMITY", view_position="AP", images=1),))
    sentence = explain_study(study)
    assert sentence == ("X-ray of the shin bone and an arm or leg, taken 26 August 2004. "
                        "1 set of 1 picture.")
    assert "fibroma" not in sentence.casefold()


def test_an_unknown_language_gets_english() -> None:
    series = S("MR", "KNEE", "AX T2 FS", images=24)
    assert explain_series(series, "xx") == explain_series(series, "en")
    assert explain_series(series, "../en") == explain_series(series)
    study = St("Thorax nativ", "20240229", "", ("CT",), (S("CT", images=3),))
    assert explain_study(study, "zz-ZZ") == explain_study(study)


def test_every_sentence_ends_with_a_full_stop_and_starts_with_a_capital() -> None:
    for series, _ in SERIES:
        said = explain_series(series)
        assert said[0].isupper() and said.endswith(".")
    for study, _ in STUDIES:
        said = explain_study(study)
        assert said[0].isupper() and said.endswith(".")


@pytest.mark.parametrize(("value", "said"), [
    ("CHESTABDPELVIS", "the chest, belly and pelvis"),
    ("chest", "the chest"),
    ("THORAX", "the chest"),
    ("ABDOMEN", "the belly"),
    ("XYZZY", ""),  # unknown: nothing guessed
    ("", ""),
])
def test_a_body_part_is_said_in_plain_words(value: str, said: str) -> None:
    assert explain_body_part(value) == said
