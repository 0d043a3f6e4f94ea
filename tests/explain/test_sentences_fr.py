"""The plain-words sentences in French (data/fr.json) on a table of header values, with
the exact sentence expected: articles fused after "de" ("du thorax", "de la tête",
"de l'anus", "des poumons"), "1er" for the first of the month, the place in brackets,
and counts of pictures and clips in French.

Each expected sentence was read and checked by hand.
"""

import pytest

from app.explain import SeriesFacts as S
from app.explain import StudyFacts as St
from app.explain import explain_body_part, explain_contents, explain_series, explain_study

SERIES = [
    (
        S("CT", "ABDOMEN", "AX 5.0 W/WO", images=120),
        (
            "Scanner du ventre avec et sans produit de contraste : coupes transversales "
            "(axiales). 120 images."
        ),
    ),
    (
        S("MR", "KNEE", "SAG PD FS", images=30),
        (
            "IRM du genou : coupes vues de profil (sagittales), densité de protons, signal de la "
            "graisse supprimé. 30 images."
        ),
    ),
    (
        S("MR", "BRAIN", "COR FLAIR", images=28),
        (
            "IRM du cerveau : coupes vues de face (coronales), FLAIR (T2 avec les liquides rendus"
            " sombres). 28 images."
        ),
    ),
    (
        S("MR", "LSPINE", "SAG T1", images=15),
        (
            "IRM de la colonne vertébrale au niveau du bas du dos : coupes vues de profil "
            "(sagittales), pondération T1 (les liquides paraissent sombres). 15 images."
        ),
    ),
    (
        S("CR", "CHEST", "", view_position="PA", images=1),
        "Radiographie du thorax : prise de l'arrière vers l'avant (PA). 1 image.",
    ),
    (
        S("MG", "BREAST", "L CC", view_position="CC", images=1),
        "Mammographie (radiographie du sein) du sein : prise du dessus (CC). 1 image.",
    ),
    (S("XX", "HEAD", "", images=2), "Images médicales de la tête. 2 images."),
    (S("", "", "", images=0), "Images médicales. Aucune image."),
    (
        S("US", "ABDOMEN", "", images=3, clips=1, clip_frames=30),
        "Échographie du ventre. 2 images et 1 image animée (clip) de 30 vues.",
    ),
    (
        S("US", "LIVER", "", images=5, clips=5, clip_frames=150),
        "Échographie du foie. 5 clips, 150 vues en tout.",
    ),
    (
        S("CT", "CHESTABDPELVIS", "", contrast_agent="OMNIPAQUE", images=200),
        "Scanner du thorax, du ventre et du bassin avec produit de contraste. 200 images.",
    ),
    (
        S("CT", "HEAD", "", contrast_agent="NONE", images=40),
        "Scanner de la tête sans produit de contraste. 40 images.",
    ),
    (S("SR", "", "", images=1), "Compte rendu écrit."),
    (
        S("CT", "", "SCOUT", images=2),
        "Scanner : images d'ensemble pour préparer l'examen. 2 images.",
    ),
    (
        S("NM", "EXTREMITY", "", images=4),
        "Scintigraphie (médecine nucléaire) d'un membre (bras ou jambe). 4 images.",
    ),
    (
        S("CT", "HEAD NECK CHEST ABDOMEN PELVIS", "", images=10),
        "Scanner de la tête, du cou, du thorax et d'autres parties du corps. 10 images.",
    ),
    (
        S("XA", "HEART", "", images=3, clips=3, clip_frames=90),
        "Radiographie des vaisseaux sanguins (angiographie) du cœur. 3 clips, 90 vues en tout.",
    ),
    (S("CT", "LUNG", "HRCT", images=300), "Scanner des poumons : haute résolution. 300 images."),
]

STUDIES = [
    (
        St(
            "CT CHEST ABDOMEN W CONTRAST",
            "20240312",
            "CHU de Nantes",
            series=(S("CT", images=300), S("CT", images=212)),
        ),
        (
            "Scanner du thorax et du ventre avec produit de contraste, le 12 mars 2024 (CHU de "
            "Nantes). 2 séries d'images, 512 en tout."
        ),
    ),
    (
        St("MR KNEE", "20230101", "", series=(S("MR", "KNEE", images=24),)),
        "IRM du genou, le 1er janvier 2023. 1 série : 24 images.",
    ),
    (St("", "", "", series=(S("XX", images=1),)), "Images médicales. 1 série : 1 image."),
    (
        St(
            "IRM GENOU", "2023-07-14", "ANONYMIZED", series=(S("MR", images=20), S("MR", images=22))
        ),
        "IRM du genou, le 14 juillet 2023. 2 séries d'images, 42 en tout.",
    ),
    (
        St(
            "",
            "20240230",
            "Clinique X",
            series=(S("US", "ABDOMEN", images=2, clips=1, clip_frames=40),),
        ),
        # 30 February: no such day, so no date is said.
        (
            "Échographie du ventre (Clinique X). 1 série : 1 image et 1 image animée (clip) "
            "de 40 vues."
        ),
    ),
    (
        St(
            "CT HEAD",
            "20200501",
            "",
            series=(
                S("CT", "HEAD", contrast_agent="NONE", images=10),
                S("CT", "HEAD", contrast_agent="IOMERON", images=12),
            ),
        ),
        (
            "Scanner de la tête avec et sans produit de contraste, le 1er mai 2020. 2 séries "
            "d'images, 22 en tout."
        ),
    ),
    (
        St(
            "",
            "20210915",
            "",
            modalities=("CT", "PT"),
            series=(S("CT", "WHOLEBODY", images=100), S("PT", "WHOLEBODY", images=100)),
        ),
        (
            "Scanner et TEP-scan (PET) du corps entier, le 15 septembre 2021. 2 séries d'images, "
            "200 en tout."
        ),
    ),
    (
        St("BASSIN", "20191231", "", series=(S("CR", "PELVIS", images=0),)),
        "Radiographie du bassin, le 31 décembre 2019. Aucune image.",
    ),
]


@pytest.mark.parametrize(("facts", "expected"), SERIES)
def test_series_sentence_in_french(facts: S, expected: str) -> None:
    assert explain_series(facts, "fr") == expected


@pytest.mark.parametrize(("facts", "expected"), STUDIES)
def test_study_sentence_in_french(facts: St, expected: str) -> None:
    assert explain_study(facts, "fr") == expected


def test_a_region_alone_keeps_its_article() -> None:
    # Said on its own (not after "of"), a region keeps "le", "la", "l'", "les".
    assert explain_body_part("CHESTABDPELVIS", "fr") == "le thorax, le ventre et le bassin"
    assert explain_body_part("ANUSRECTUMSIGMD", "fr") == ("l'anus, le rectum et le côlon sigmoïde")
    assert explain_body_part("LUNG", "fr") == "les poumons"


def test_regions_of_every_article_after_de() -> None:
    said = explain_series(S("CT", "", "HEAD ABDOMEN", images=1), "fr")
    assert said == "Scanner de la tête et du ventre. 1 image."
    said = explain_series(S("MR", "ANUSRECTUMSIGMD", images=3), "fr")
    assert said == "IRM de l'anus, du rectum et du côlon sigmoïde. 3 images."
    said = explain_series(S("CR", "UPRURINARYTRACT", images=2), "fr")
    assert said == "Radiographie des reins et des uretères. 2 images."
    said = explain_series(S("US", "CEREBHEMISPHERE", images=2), "fr")
    assert said == "Échographie d'une moitié du cerveau. 2 images."


def test_what_a_medium_holds_in_french_and_english() -> None:
    assert explain_contents(151, 1, 4, "fr") == "151 images, 1 document en 4 séries"
    assert explain_contents(1, 0, 1, "fr") == "1 image en 1 série"
    assert explain_contents(2, 3, 2, "fr") == "2 images, 3 documents en 2 séries"
    # English as the status bar always said it.
    assert explain_contents(151, 1, 4) == "151 pictures, 1 document in 4 sets"
    assert explain_contents(1, 0, 1) == "1 picture in 1 set"


def test_english_is_unchanged_by_the_french_rules() -> None:
    facts = S("US", "CEREBHEMISPHERE", images=2)
    assert explain_series(facts) == "Ultrasound scan of one half of the brain. 2 pictures."
    assert explain_study(St("", "20230101", "", series=(S("MR", "KNEE", images=24),))) == (
        "MRI scan of the knee, taken 1 January 2023. 1 set of 24 pictures."
    )
