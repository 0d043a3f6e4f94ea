"""Reading header words: which known terms a description, body part or agent holds.

Only whole words (or, for Chinese and Japanese, which run words together, the listed
character strings) are recognised; anything else is skipped rather than guessed at.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from app.explain.vocabulary import Tokens, tokens

# Word separators in descriptions; "/", "-", "+" and "." are kept at first because they
# belong to terms such as W/WO, C+, C- and T1-W.
_SPLIT = re.compile(r"[\s_,;:()\[\]{}^|\\*#\"'=<>!?~`@$%&]+")
_INNER = re.compile(r"[/\-+.]+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_LONGEST_PHRASE = 3
_CONTRAST = ("contrast.with", "contrast.without", "contrast.both")


@dataclass
class Reading:
    """What was recognised in some header text, in order of first appearance.

    ``regions`` holds Body Part Examined defined terms; ``concepts`` every other known
    idea (``contrast.with``, ``plane.axial``, ``scout``, ``modality.CT`` ...).
    """

    regions: list[str] = field(default_factory=list)
    concepts: list[str] = field(default_factory=list)

    def add(self, meaning: str, body_parts: set[str]) -> None:
        """Record one recognised meaning (a region or a concept), once."""
        target = self.regions if meaning in body_parts else self.concepts
        if meaning not in target:
            target.append(meaning)

    @property
    def contrast(self) -> str | None:
        """``with``, ``without``, ``both`` or None, from the contrast words read."""
        said = {c.split(".", 1)[1] for c in self.concepts if c in _CONTRAST}
        if "both" in said or {"with", "without"} <= said:
            return "both"
        return next(iter(said), None)


def clean(text: str) -> str:
    """``text`` with full-width letters folded (NFKC) and control characters dropped."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\t\n")


def read_words(text: str, body_parts: set[str], vocabulary: Tokens | None = None) -> Reading:
    """The known terms in a free-text header value (a description or protocol name).

    ``body_parts`` are the defined terms the words of the current language know, so that
    a region is recognised only when it can be said.
    """
    vocab = vocabulary or tokens()
    reading = Reading()
    text = clean(text)
    for key in sorted(vocab.cjk, key=len, reverse=True):
        if key in text:
            reading.add(vocab.cjk[key], body_parts)
            text = text.replace(key, " ")
    words = [w for w in _SPLIT.split(text.upper()) if w]
    i = 0
    while i < len(words):
        for size in range(min(_LONGEST_PHRASE, len(words) - i), 1, -1):
            meaning = _meaning(" ".join(words[i:i + size]), vocab, body_parts)
            if meaning:
                reading.add(meaning, body_parts)
                i += size
                break
        else:
            _read_word(words[i], vocab, body_parts, reading)
            i += 1
    return reading


def _read_word(word: str, vocab: Tokens, body_parts: set[str], reading: Reading) -> None:
    meaning = _meaning(word, vocab, body_parts)
    if meaning:
        reading.add(meaning, body_parts)
        return
    for part in _INNER.split(word):
        meaning = _meaning(part, vocab, body_parts) if part else None
        if meaning:
            reading.add(meaning, body_parts)


def _meaning(word: str, vocab: Tokens, body_parts: set[str]) -> str | None:
    if word in vocab.terms:
        return vocab.terms[word]
    if word in vocab.regions:
        return vocab.regions[word]
    squeezed = _NOT_ALNUM.sub("", word)
    # Defined terms are written without spaces (ABDOMENPELVIS); a lone digit is no term.
    if len(squeezed) > 1 and squeezed in body_parts:
        return squeezed
    return None


def read_body_part(value: str, body_parts: set[str], vocabulary: Tokens | None = None
                   ) -> list[str]:
    """The regions Body Part Examined names: its defined term, else the known words in it."""
    vocab = vocabulary or tokens()
    upper = clean(value).strip().upper()
    squeezed = _NOT_ALNUM.sub("", upper)
    if squeezed in body_parts:
        return [squeezed]
    for candidate in (upper, squeezed):
        if candidate in vocab.regions:
            return [vocab.regions[candidate]]
    return read_words(value, body_parts, vocab).regions


def read_agent(value: str, vocabulary: Tokens | None = None) -> str | None:
    """``with`` when Contrast/Bolus Agent names an agent, ``without`` when it says none
    (NONE, NO ...), None when it is empty."""
    vocab = vocabulary or tokens()
    text = clean(value).strip()
    if not any(ch.isalnum() for ch in text):
        return None
    return "without" if text.upper() in vocab.no_contrast_agents else "with"


def read_view(value: str, vocabulary: Tokens | None = None) -> str | None:
    """The concept of a View Position value (``view.pa`` ...), or None."""
    vocab = vocabulary or tokens()
    return vocab.view_positions.get(clean(value).strip().upper())
