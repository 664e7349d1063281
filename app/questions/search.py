"""Finding answers: the FAQ search, and the answers suggested before a question is sent.

:func:`search_faq` is the catalog's search applied to published FAQ entries: every term
must occur, as a substring, in the entry's text in some language (case- and
accent-insensitive), so ``驾驶证`` and ``patente`` both find an entry about licences.

:func:`suggest` reads a whole question, which no entry contains word for word. It takes
the question's telling terms (the stems of Latin words of four letters or more, pairs of neighbouring
Chinese characters, common ones left out), finds the FAQ entries and catalog items that
contain any of them, and ranks them by the terms they share with it, a term counting
for less the more of them hold it.
"""

import re
from dataclasses import dataclass, field

from peewee import SQL, NodeList, fn

from ..catalog.loader import normalize
from ..i18n import localized
from ..models import FaqEntry, FaqItem, Item, ItemSearch, Jurisdiction

PER_PAGE = 20
MAX_TERMS = 6
#: At most this many terms of a question are looked for.
MAX_SUGGEST_TERMS = 16
#: Candidates read per kind before ranking.
CANDIDATES = 200

_LATIN = re.compile(r"[a-z0-9]{4,}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
#: Pairs of characters that say nothing about the matter (asked in every question).
_CJK_COMMON = frozenset("""我的 我们 你们 他们 怎么 怎样 如何 可以 能否 是否 需要 什么 请问 一下
 一个 这个 那个 现在 已经 没有 自己 时候 因为 所以 还是 或者 或是 不是 就是 要求 问题 谢谢 您好 你好
 请教 想问 咨询 办理 办法 应该 如果 但是 我在 在国 国外 海外 回国 需要 哪些 多少 多久 知道 什么时""".split())
#: Characters of the grammar, not of the matter: a pair holding one is left out.
_CJK_FUNCTION = frozenset("我你您他她它们的了吗呢吧啊么怎想问一下请是在有和与及或要能可以这那个些什如何哪多少呀嘛很也都就"
                          "还把被给对从到为着过")
#: Latin words of four letters or more that say nothing about the matter.
_LATIN_COMMON = frozenset("""with from that this have what when where which would could should
 there their about please thank thanks hello need needs want your mine also into some than then
 them they were will does know ciao hola salut sapere savoir saber como para pero esta este esto tengo quiero puedo favor gracias
 cosa come sono della delle degli nella questo questa vorrei posso grazie anche dove quando
 pour avec dans mais cette comment quand merci veux peux suis faire sont
 como para mais esta este isso tenho quero posso obrigado obrigada onde quando""".split())


def _words(text: str) -> str:
    """``text`` normalised, control characters (NUL, which PostgreSQL refuses in a
    string) taken out."""
    return normalize("".join(ch if ch.isprintable() else " " for ch in (text or "")))


def _like(column, term):
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return NodeList((column, SQL("LIKE"), f"%{escaped}%", SQL("ESCAPE '\\'")))


def _published():
    return FaqEntry.status == "published"


def _scoped(where: list, county: Jurisdiction | None, item: Item | None) -> list:
    if county is not None:
        where.append(FaqEntry.jurisdiction == county.id)
    if item is not None:
        where.append(FaqEntry.id.in_(FaqItem.select(FaqItem.entry).where(
            FaqItem.item == item.id)))
    return where


def search_faq(query: str = "", locale: str | None = None, county: Jurisdiction | None = None,
               item: Item | None = None, page: int = 1, per_page: int = PER_PAGE):
    """Published FAQ entries matching every term of ``query`` (all of them without one),
    newest first; ``county`` and ``item`` narrow them. Returns ``(entries, total)``;
    ``locale`` is accepted for symmetry with the catalog (entries are published in every
    language, so it does not narrow)."""
    terms = _words(query).split()[:MAX_TERMS]
    where = _scoped([_published()], county, item)
    where += [_like(FaqEntry.search_text, term) for term in terms]
    total = FaqEntry.select(fn.COUNT(FaqEntry.id)).where(*where).scalar() or 0
    page = max(1, page)
    rows = list(FaqEntry.select(FaqEntry.id, FaqEntry.jurisdiction, FaqEntry.texts,
                                FaqEntry.helpful_yes, FaqEntry.helpful_no,
                                FaqEntry.published_at)
                .where(*where)
                .order_by(FaqEntry.sort, FaqEntry.published_at.desc(), FaqEntry.id.desc())
                .offset((page - 1) * per_page).limit(per_page))
    return rows, total


def terms_of(text: str) -> list[str]:
    """The telling terms of a question, at most :data:`MAX_SUGGEST_TERMS`, in order."""
    text = _words(text)
    # A Latin word is looked for by its stem (a crude one: its last letters cut, never
    # below five), so "rinnovarla" finds "rinnovare" and "licences" finds "licence".
    terms = [w[:max(5, len(w) - 3)] for w in _LATIN.findall(text) if w not in _LATIN_COMMON]
    for run in _CJK.findall(text):
        if len(run) == 1:
            continue
        pairs = (run[i:i + 2] for i in range(len(run) - 1))
        terms += [pair for pair in pairs if pair not in _CJK_COMMON
                  and not (_CJK_FUNCTION & set(pair))]
    return list(dict.fromkeys(terms))[:MAX_SUGGEST_TERMS]


@dataclass
class Suggestion:
    """An answer that may help: an FAQ entry or a catalog item."""

    kind: str  # faq | item
    key: str  # the entry's id, or the item's code
    title: str
    summary: str
    score: float
    url_args: dict = field(default_factory=dict)


def _any_term(column, terms):
    condition = _like(column, terms[0])
    for term in terms[1:]:
        condition = condition | _like(column, term)
    return condition


def _faq_candidates(terms, county) -> dict:
    where = _scoped([_published(), _any_term(FaqEntry.search_text, terms)], county, None)
    return {("faq", row.id): row.search_text for row in
            FaqEntry.select(FaqEntry.id, FaqEntry.search_text).where(*where)
            .order_by(FaqEntry.id.desc()).limit(CANDIDATES)}


def _item_candidates(terms, county) -> dict:
    where = [ItemSearch.active == True, _any_term(ItemSearch.search_text, terms)]  # noqa: E712
    if county is not None:
        where.append(ItemSearch.jurisdiction == county.id)
    return {("item", row.item_id): row.search_text for row in
            ItemSearch.select(ItemSearch.item, ItemSearch.search_text).where(*where)
            .limit(CANDIDATES)}


def _ranked(candidates: dict, terms: list[str], item: Item | None) -> list[tuple]:
    """``[(score, key)]`` of the candidates sharing two terms with the question (or its
    only one), best first. A term counts for less the more candidates hold it: "cinese"
    is in every item, "patente" names the matter."""
    holders = {term: sum(1 for text in candidates.values() if term in text) for term in terms}
    linked = set()
    if item is not None:
        linked = {("faq", row.entry_id) for row in FaqItem.select(FaqItem.entry).where(
            FaqItem.item == item.id)} | {("item", item.id)}
    ranked = []
    for key, text in candidates.items():
        matched = [term for term in terms if term in text]
        if len(matched) < min(2, len(terms)):
            continue
        score = sum(1 / holders[term] for term in matched) + (1 if key in linked else 0)
        ranked.append((score, key))
    ranked.sort(key=lambda pair: (-pair[0], pair[1][0] != "faq", pair[1][1]))
    return ranked


def entry_text(texts: dict, locale: str | None) -> dict:
    """An entry's question and answer in ``locale`` (else English, else Chinese)."""
    texts = texts or {}
    for candidate in (locale, "en", "zh"):
        if candidate and (texts.get(candidate) or {}).get("question"):
            return texts[candidate]
    return next(iter(texts.values()), {}) if texts else {}


def suggest(text: str, locale: str | None = None, county: Jurisdiction | None = None,
            item: Item | None = None, limit: int = 5) -> list[Suggestion]:
    """The FAQ entries and catalog items that may answer ``text``, best first (entries
    before items at the same score), at most ``limit``."""
    terms = terms_of(text)
    if not terms:
        return []
    candidates = _faq_candidates(terms, county) | _item_candidates(terms, county)
    best = _ranked(candidates, terms, item)[:limit]
    faq_ids = [key[1] for _score, key in best if key[0] == "faq"]
    item_ids = [key[1] for _score, key in best if key[0] == "item"]
    entries = {row.id: row for row in FaqEntry.select(FaqEntry.id, FaqEntry.texts).where(
        FaqEntry.id.in_(faq_ids or [0]))}
    items = {row.id: row for row in Item.select(Item.id, Item.code, Item.names, Item.summary)
             .where(Item.id.in_(item_ids or [0]))}
    found = []
    for score, (kind, row_id) in best:
        if kind == "faq":
            text = entry_text(entries[row_id].texts, locale)
            found.append(Suggestion("faq", str(row_id), text.get("question", ""),
                                    text.get("answer", ""), round(score, 3),
                                    {"entry_id": row_id}))
        else:
            row = items[row_id]
            found.append(Suggestion("item", row.code, localized(row.names, locale),
                                    localized(row.summary, locale), round(score, 3),
                                    {"code": row.code}))
    return found


__all__ = ["search_faq", "suggest", "terms_of", "entry_text", "Suggestion"]
