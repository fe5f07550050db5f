"""Structural cues: what the shape of an item's options gives away without its meaning.

A test-wise candidate who knows nothing of service operations can still pick the key
when it looks different from the distractors: longer, in several parts, hedged, without
the "because ..." that the distractors carry, echoing the stem. The features here read
only that shape (lengths, connective words, punctuation, word overlap), never the
meaning, so the audit in `testwise` can ask how far shape alone predicts the key.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ccsoo_exam.bank import Item

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")

# Coordinators that join two ideas into one option ("X and Y", "X, with Y").
_CONJUNCTION = re.compile(r"\b(?:and|or|with|while|as well as|plus|along with|together with|alongside|both)\b", re.I)
# A comma or semicolon that separates words, not the thousands of a number ("1,200").
_SEPARATOR = re.compile(r"(?<!\d)[,;]|[,;](?!\d)")
_NUMBERED = re.compile(r"\(\s*(?:\d{1,2}|[a-h]|i{1,3}|iv|v)\s*\)", re.I)
_ORDINAL = re.compile(r"\b(?:first|second|third|fourth|then|finally)\b", re.I)
# Justification tails: the option argues for itself ("..., so that ...", "because ...").
_TAIL = re.compile(
    r"\b(?:so that|so as to|because|since|in order to|which means|which would|which will|meaning that|"
    r"given that|thereby|to ensure|to make sure|to avoid|as a result|on the grounds that)\b|,\s*so\b",
    re.I,
)
# Hedges qualify a claim; item writers tend to hedge the key, which must stay defensible.
# 'can' is left out: it states an ability far more often than it hedges.
_HEDGE = re.compile(
    r"\b(?:may|might|could|usually|generally|often|typically|normally|mostly|largely|likely|probably|"
    r"where|unless|provided that|if|when needed|where appropriate|in most cases|tends? to)\b",
    re.I,
)
# Absolutes ("specific determiners") make a distractor easy to rule out.
_ABSOLUTE = re.compile(
    r"\b(?:always|never|all|every|only|entirely|completely|fully|solely|wholly|totally|none|no one|"
    r"guarantee[sd]?|eliminates?|regardless)\b",
    re.I,
)

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers him his how i if in into is it its itself just let me more most my no nor not now of off
    on once only or other our ours out over own same she should so some such than that the their theirs them
    then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours best first next most which should option options
    following
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Stems that read as an unfinished sentence ("The first step is to") expect a continuation.
_OPEN_END = re.compile(r"[A-Za-z,:;]\s*$")
_VOWEL_SOUND = re.compile(r"^(?:[aeio]|u(?!ni|se|su|ro|ti)|h(?:our|onest|onou?r))", re.I)
_PLURAL_VERB = {"are", "were", "include", "these", "those", "have"}


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def stem_word(word: str) -> str:
    """A light suffix stripper: enough that 'escalated' meets 'escalation', no more."""
    w = word.lower()
    for suffix, repl in (
        ("ations", "ate"),
        ("ation", "ate"),
        ("ements", ""),
        ("ement", ""),
        ("ments", ""),
        ("ment", ""),
        ("ness", ""),
        ("ities", ""),
        ("ity", ""),
        ("ings", ""),
        ("ing", ""),
        ("ies", "y"),
        ("ied", "y"),
        ("ed", ""),
        ("es", ""),
        ("ers", ""),
        ("er", ""),
        ("ly", ""),
        ("s", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: len(w) - len(suffix)] + repl
            break
    # 'escalate' and 'escalat' (from 'escalated') must meet.
    return w[:-1] if w.endswith("e") and len(w) > 4 else w


_POSSESSIVE = re.compile(r"['’]s?$")


def content_words(text: str) -> list[str]:
    """Stemmed words that carry content: no stopwords, no one-letter words, no possessive 's."""
    bare = (_POSSESSIVE.sub("", w) for w in words(text))
    return [stem_word(w) for w in bare if len(w) > 1 and w.lower() not in STOPWORDS]


CHANCE = 0.25  # guessing among four options; thresholds written for it move with adjusted()


def adjusted(limit: float, chance: float) -> float:
    """A threshold written for chance 25% (four options), moved to another chance level.

    The margin over chance is kept at the same number of standard deviations of a guessing
    rule's hit rate, so items with 3 or 5 options (chance 1/3, 1/5) are held to the same
    evidence of a cue. At chance 25% it is the threshold itself.
    """
    spread = math.sqrt(chance * (1 - chance)) / math.sqrt(CHANCE * (1 - CHANCE))
    return chance + (limit - CHANCE) * spread


@dataclass(frozen=True)
class OptionShape:
    """The structural features of one option, read against its item."""

    letter: str
    chars: int
    words: int
    rank: float  # 1 = longest; tied options share the mean of their ranks
    rank_share: tuple[float, ...]  # how much of each rank 1..k this option holds (k = the item's 3-5 options)
    relative_length: float  # chars / the item's mean chars
    parts: int  # ideas joined by conjunctions, commas, semicolons or numbering
    numbered: int
    tail: bool  # a justification tail: "so that", "because", "since"...
    tail_word: str
    hedges: int
    absolutes: int
    overlap: int  # content words shared with the stem
    misfit: bool  # does not read on from the stem (a/an, plural agreement, double 'to')
    period: bool  # ends with a full stop
    oddness: float = 0.0  # distance from the shape of the item's other options

    @property
    def has_list(self) -> bool:
        return self.parts >= 3

    def vector(self) -> tuple[float, ...]:
        """The shape the eye compares when one option 'looks different'."""
        return (
            4 * self.relative_length,  # a quarter longer than average counts like one binary difference
            float(self.has_list),
            float(self.tail),
            float(self.hedges > 0),
            float(self.absolutes > 0),
            float(self.period),
            float(self.misfit),
            float(self.numbered > 0),
        )


def parts(text: str) -> tuple[int, int]:
    """How many ideas an option strings together, and how many of them are numbered."""
    tail = _TAIL.search(text)
    body = text[: tail.start()] if tail else text
    body = body.rstrip(" ,;.")
    separators = len(_SEPARATOR.findall(body)) + len(_CONJUNCTION.findall(body))
    numbered = len(_NUMBERED.findall(body))
    if numbered < 2 and len(_ORDINAL.findall(body)) >= 2:
        numbered = len(_ORDINAL.findall(body))
    return max(1 + separators, numbered), numbered


def misfit(stem: str, option: str) -> bool:
    """The option does not grammatically continue a stem that is an unfinished sentence."""
    stem = stem.strip()
    if not _OPEN_END.search(stem):
        return False
    last = words(stem)[-1].lower() if words(stem) else ""
    head = option.strip()
    first = words(head)[0].lower() if words(head) else ""
    if last == "a" and _VOWEL_SOUND.match(head):
        return True
    if last == "an" and head and not _VOWEL_SOUND.match(head):
        return True
    if last == "to" and first == "to":
        return True
    return last in _PLURAL_VERB and first in {"a", "an", "one", "this"}


def _rank_shares(lengths: list[int]) -> list[tuple[float, ...]]:
    out = []
    for n in lengths:
        longer = sum(m > n for m in lengths)
        tied = sum(m == n for m in lengths)  # includes this option
        share = [0.0] * len(lengths)
        for r in range(longer, longer + tied):
            share[r] = 1 / tied
        out.append((longer + (tied + 1) / 2, *share))
    return out


def item_shapes(item: Item) -> tuple[OptionShape, ...]:
    """Each option's shape in letter order, read against the stem and its sibling options."""
    texts = [item.options[letter].strip() for letter in item.letters]
    lengths = [len(t) for t in texts]
    mean = sum(lengths) / len(lengths) or 1.0
    stem_words = set(content_words(item.stem))
    ranks = _rank_shares(lengths)
    shapes = []
    for letter, text, length, (rank, *share) in zip(item.letters, texts, lengths, ranks, strict=True):
        tail = _TAIL.search(text)
        n_parts, numbered = parts(text)
        shapes.append(
            OptionShape(
                letter=letter,
                chars=length,
                words=len(words(text)),
                rank=rank,
                rank_share=tuple(share),
                relative_length=length / mean,
                parts=n_parts,
                numbered=numbered,
                tail=tail is not None,
                tail_word=tail.group(0).strip(" ,").lower() if tail else "",
                hedges=len(_HEDGE.findall(text)),
                absolutes=len(_ABSOLUTE.findall(text)),
                overlap=len(stem_words & set(content_words(text))),
                misfit=misfit(item.stem, text),
                period=text.endswith("."),
            )
        )
    vectors = [s.vector() for s in shapes]
    odd = []
    for i, v in enumerate(vectors):
        others = [w for j, w in enumerate(vectors) if j != i]
        centre = [sum(col) / len(others) for col in zip(*others, strict=True)]
        odd.append(math.dist(v, centre))
    return tuple(OptionShape(**{**s.__dict__, "oddness": round(o, 9)}) for s, o in zip(shapes, odd, strict=True))
