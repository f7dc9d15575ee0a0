"""How names are compared when a patient is searched for: one folding rule, plain Python.

`fold` maps the ways of typing a name to one form, so that "Zoë", "ZOE" and "zoe" are the same,
and "O'Brien", "O’Brien" (a phone's apostrophe) and "O Brien" too:

1. compatibility decomposition (NFKD): "é" becomes "e" and a combining accent, a full-width "Ａ"
   an "A", a ligature "ﬁ" the letters "fi";
2. accents and other combining marks dropped, with the invisible format characters (soft
   hyphen, zero-width space);
3. case folding (``str.casefold``: "ß" becomes "ss", "İ" an "i" and a dot above), steps 1 to 3
   repeated until they change nothing; then the letters whose stroke or ligature no
   decomposition separates spelt as a reader without them types them (`LETTERS`: "ł" as "l",
   "ø" as "o", "æ" as "ae", "ı" as "i", ...);
4. apostrophes, hyphens and dashes of every kind, and runs of whitespace, become one space
   between words ("o brien", "muller lang"), and none is left at either end.

The folding is built for names in Latin script; other scripts go through the same steps, which
at worst makes their matching looser (marks such as Hebrew vowel points are dropped).

`search_key` is what a patient's row stores and `search_terms` what a typed query becomes. A
typed word is folded and joined up ("O'Brien" and "obrien" are both "obrien"); the key holds each
part of the record joined up the same way, and, for a part of several words, its rest from each
later word on, so "van der berg", "vanderberg", "berg" and "de" (a word's start) all find "van
der Berg", and "mia sophie" or "so" finds "Mia-Sophie".

This module imports no Django (an import-linter contract): the record, the data migration that
fills the stored key and the search all call the same functions. A change to the folding changes
what every row should hold: it comes with a migration that fills the keys again (as 0013 does).
"""

import unicodedata

# A search word shorter than this matches only where a word of a name or of the record number
# begins: one or two letters found anywhere ("an") would match a quarter of the patients, and a
# trigram index has no trigram of a word that short to look up, only of a word's start.
WORD_START_BELOW = 3

# Letters NFKD leaves whole: a stroke, bar or ligature is part of the letter, not a mark on it.
LETTERS = {
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ħ": "h",
    "ı": "i",
    "ŧ": "t",
    "ŋ": "n",
    "ĸ": "k",
    "ß": "ss",
}
APOSTROPHES = "'`´ʹʻʼʽˈ‘’‚‛′＇"
HYPHENS = "-‐‑‒–—―−﹘﹣－"

_BREAKS = dict.fromkeys(map(ord, APOSTROPHES + HYPHENS), " ")
_SPELT = str.maketrans(LETTERS)
# Combining marks (accents), enclosing marks, and invisible format characters.
_NOT_LETTERS = ("Mn", "Me", "Cf")


def fold(text: str) -> str:
    """``text`` with case, accents, apostrophes and hyphens folded away (module docstring)."""
    # Apostrophes first: NFKD turns the acute accent "´" typed as one into a space and a mark.
    text = text.translate(_BREAKS)
    # Marks go before case folding, which would make the iota below "ᾳ" a letter; folding may
    # give what NFKD splits, and NFKD capitals ("㎒" is "MHz"): repeat until nothing changes,
    # two rounds at most for any character known.
    for _ in range(8):
        kept = "".join(
            char
            for char in unicodedata.normalize("NFKD", text)
            if unicodedata.category(char) not in _NOT_LETTERS
        ).casefold()
        if kept == text:
            break
        text = kept
    return " ".join(text.translate(_SPELT).translate(_BREAKS).split())


def search_key(*parts: str) -> str:
    """What a record stores to be searched: each part folded and joined up, then, for a part of
    several words, the rest of it from each later word on, joined up too ("van der berg":
    "vanderberg", then "derberg" and "berg"), so that every word of a name starts a word of the
    key, whatever follows it is typed with ("a'b" in "A A'B" is "ab"); one space between them
    all (a search term, having no space, never spans two)."""
    key = []
    for part in parts:
        words = fold(part).split()
        key += ["".join(words[start:]) for start in range(len(words))]
    return " ".join(key)


def search_terms(query: str, limit: int = 5) -> list[str]:
    """The words of a typed query, each folded and joined up ("O'Brien" is one word, "obrien");
    words that fold to nothing (a stray apostrophe) are left out, and only the first ``limit``
    count."""
    terms = (fold(word).replace(" ", "") for word in query.split())
    return [term for term in terms if term][:limit]
