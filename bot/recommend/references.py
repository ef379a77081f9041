"""Which suggestion a clerk means: "她买了第二个", "那副黑色手套她拿了", "她要这个".

The candidates are every suggestion shown in the conversation (newest answer
first). Ordinals ("第二个", "第一款", "最后那个", "倒数第二") count in the newest
answer; colours, subcategories, categories, brands and product names named in the
text narrow all of them; "这个/那个/刚才那件" means the newest answer's only item.
The result says plainly whether the reference is resolved, ambiguous or names
nothing that was shown, so that nothing is written on a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.locale.zh.dates import number

ORDINAL = re.compile(
    r"第\s*(\d{1,2}|[一二两三四五六七八九十]{1,2})\s*(?:个|款|件|双|条|套|只|支|瓶|样|种|副|顶|块)?"
)
LAST = re.compile(r"最后(?:一|那|这)?(?:个|款|件|双|条|套|只|支|瓶|样|种|副)?")
FROM_END = re.compile(r"倒数第\s*(\d|[一二两三四五])")
FIRST = re.compile(r"头一(?:个|款|件)")
DEICTIC = re.compile(
    r"(?:这|那|刚才那|刚才这|刚刚那|上面那)(?:个|款|件|双|条|套|只|支|瓶|样|副|顶|块)|它"
)


@dataclass(frozen=True)
class Shown:
    """One suggestion shown in the conversation; `answer` 0 is the newest answer."""

    id: int
    product_id: int
    answer: int
    rank: int
    name: str
    subcategory: str = ""
    category: str = ""
    brand: str = ""
    color: str = ""

    def terms(self) -> tuple[str, ...]:
        """What a clerk may call it by."""
        words = [self.name, self.subcategory, self.category, self.brand, self.color]
        if self.color.endswith("色") and len(self.color) > 1:
            words.append(self.color[:-1])
        words.extend(part for part in self.name.split() if len(part) > 1)
        return tuple(w for w in dict.fromkeys(words) if w)


@dataclass(frozen=True)
class Reference:
    ordinal: int | None = None  # 1-based; negative counts from the end
    deictic: bool = False
    terms: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.ordinal is None and not self.deictic and not self.terms


@dataclass(frozen=True)
class Resolution:
    """`status`: resolved (one or more items meant), ambiguous (ask which of
    `items`), unknown (nothing said points at a suggestion), not_shown (the named
    thing was not among the suggestions)."""

    status: str
    items: tuple[Shown, ...] = field(default_factory=tuple)
    by_words: bool = False  # found by the words of the items, not by pointing


def parse_reference(text: str, shown: list[Shown]) -> Reference:
    """Ordinals and pointing words in `text`, and the words of the shown items it
    uses (longest first, so "黑色手套" is not also read as "黑")."""
    ordinal = ordinal_in(text)
    vocabulary = sorted({t for s in shown for t in s.terms()}, key=len, reverse=True)
    rest, terms = text, []
    for term in vocabulary:
        if term in rest:
            terms.append(term)
            rest = rest.replace(term, " ")
    return Reference(ordinal, bool(DEICTIC.search(text)), tuple(terms))


def resolve(reference: Reference, shown: list[Shown], named: tuple[str, ...] = ()):
    """The items `reference` means among `shown`. `named` are catalogue words
    (category, brand, colour) the NLU found in the message: naming one that no
    shown item has is `not_shown`, never a match on something else."""
    latest = _unique([s for s in shown if s.answer == 0])
    everything = _unique(shown)
    if not everything:
        return Resolution("unknown")
    if reference.ordinal is not None:
        index = reference.ordinal - 1 if reference.ordinal > 0 else reference.ordinal
        if -len(latest) <= index < len(latest):
            return Resolution("resolved", (latest[index],))
        return Resolution("ambiguous", tuple(latest))
    unmatched = [n for n in named if n not in reference.terms]
    if reference.terms:
        matches = [s for s in everything if _matches(s, reference.terms)]
        if matches and not unmatched:
            newest = _newest(matches)
            status = "resolved" if len(newest) == 1 else "ambiguous"
            return Resolution(status, newest, by_words=True)
        if unmatched or not matches:
            return Resolution("not_shown")
    if unmatched:
        return Resolution("not_shown")
    if reference.deictic:
        if len(latest) == 1:
            return Resolution("resolved", tuple(latest))
        return Resolution("ambiguous", tuple(latest))
    return Resolution("unknown")


def points_at(text: str) -> bool:
    """Does `text` point at a suggestion ("第二个", "这个", "最后那个")?"""
    return ordinal_in(text) is not None or bool(DEICTIC.search(text))


def ordinal_in(text: str) -> int | None:
    """The ordinal in `text` (1-based, negative from the end), if any."""
    if match := FROM_END.search(text):
        value = number(match.group(1))
        return -value if value else None
    if LAST.search(text):
        return -1
    if FIRST.search(text):
        return 1
    if match := ORDINAL.search(text):
        return number(match.group(1)) or None
    return None


def _matches(item: Shown, terms: tuple[str, ...]) -> bool:
    own = set(item.terms())
    return all(term in own or term in item.name for term in terms)


def _newest(items: list[Shown]) -> tuple[Shown, ...]:
    """Several matches: the ones of the newest answer they appear in."""
    first = min(s.answer for s in items)
    return tuple(s for s in items if s.answer == first)


def _unique(items: list[Shown]) -> list[Shown]:
    """One entry per product, from the newest answer that showed it, in order."""
    seen: dict[int, Shown] = {}
    for item in sorted(items, key=lambda s: (s.answer, s.rank)):
        seen.setdefault(item.product_id, item)
    return list(seen.values())
