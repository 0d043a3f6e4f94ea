"""Plain words for patients: what a study or series is, from its header values.

No Qt and no I/O beyond reading the vocabulary shipped in ``data/``. Nothing here
diagnoses or interprets findings: it says what kind of pictures were taken, of what,
how, when and where, from the words the header itself uses; words it does not know are
left out, never guessed at.
"""

from app.explain.facts import SeriesFacts, StudyFacts
from app.explain.sentences import (
    explain_body_part,
    explain_contents,
    explain_library,
    explain_series,
    explain_study,
)
from app.explain.vocabulary import glossary, language_names, languages

__all__ = [
    "SeriesFacts", "StudyFacts", "explain_body_part", "explain_contents", "explain_library",
    "explain_series", "explain_study",
    "glossary", "language_names", "languages",
]
