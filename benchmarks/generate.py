"""Seeded, deterministic synthetic briefs that look like a real newsroom's output.

Briefs vary in length (one-line items to long multi-page articles), script (Latin, Cyrillic,
Arabic, CJK), which optional sections are present, quotes and topics. Word frequencies follow
a Zipf curve, so some words are in most briefs and invented names are in a handful: the
search benchmark picks its queries from the same vocabulary (`QUERIES`).

`python -m benchmarks.generate --check 2000` verifies that every generated brief survives
`format_brief` → `parse_brief` unchanged, so the text-import benchmark measures valid input.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storage.models import BriefContent

#: Bump when the output changes, so cached databases built from older output are rebuilt.
GENERATOR_VERSION = 1


def _split(words: str) -> list[str]:
    """Return the space-separated words of a vocabulary string."""
    return words.split()


_LATIN = _split(
    "the city council government minister police report said year people new vote budget "
    "school water plan market energy health court election week month state public local "
    "national project service workers company price rain storm river bridge road train "
    "hospital university students teachers farmers fire flood harbour port airport museum "
    "festival team match season record science space comet telescope climate weather forest "
    "village mayor president parliament law tax housing rent bank trade export import "
    "factory jobs strike union protest agreement talks border ship fleet coast island "
    "mountain valley north south east west central district region capital officials "
    "residents experts researchers engineers doctors nurses patients children families "
    "visitors tourists drivers passengers cyclists lanes traffic transport fuel power grid "
    "solar wind nuclear gas oil coal emissions recycling waste plastic ocean fish wildlife "
    "park garden library theatre concert film book award prize history archive discovery "
    "study survey data results increase decrease growth decline crisis recovery support "
    "funding investment cost million billion percent quarter early late night morning "
    "announced approved rejected opened closed delayed expanded reduced launched finished "
    "repaired built planned warned confirmed denied expected estimated reported"
)
_CYRILLIC = _split(
    "город совет правительство министр полиция отчёт год люди новый бюджет школа вода "
    "план рынок энергия здоровье суд выборы неделя месяц область проект служба рабочие "
    "компания цена дождь река мост дорога поезд больница университет студенты учителя "
    "пожар наводнение порт аэропорт музей фестиваль команда сезон наука космос климат "
    "погода лес деревня мэр президент парламент закон налог жильё банк торговля завод"
)
_ARABIC = _split(
    "المدينة المجلس الحكومة الوزير الشرطة تقرير سنة الناس جديد الميزانية المدرسة الماء "
    "خطة السوق الطاقة الصحة المحكمة الانتخابات الأسبوع الشهر الدولة مشروع خدمة العمال "
    "شركة السعر المطر النهر الجسر الطريق القطار المستشفى الجامعة الطلاب المعلمون الحريق "
    "الفيضان الميناء المطار المتحف المهرجان الفريق الموسم العلم الفضاء المناخ الطقس"
)
_CJK = _split(
    "城市 议会 政府 部长 警方 报告 今年 市民 新的 预算 学校 用水 计划 市场 能源 健康 法院 "
    "选举 本周 本月 国家 项目 服务 工人 公司 价格 降雨 河流 大桥 道路 列车 医院 大学 学生 "
    "教师 火灾 洪水 港口 机场 博物馆 节日 球队 赛季 科学 太空 气候 天气 森林 村庄 市长"
)
_SYLLABLES = _split("ka lo ri ven tor mar sel du na bri que hal zan or fel mi ost rav ken lu")
_SITES = ("https://news.example.org/", "https://example.com/story/", "http://wire.example.net/")
_TOPICS = ("politics", "science", "weather", "transport", "culture", "sport", "economy", "health")

#: Scripts with their weights, word lists, word separator, sentence end and quote marks.
_SCRIPTS: tuple[tuple[str, float, Sequence[str], str, str, tuple[str, str]], ...] = (
    ("latin", 0.70, _LATIN, " ", ".", ("“", "”")),
    ("cyrillic", 0.10, _CYRILLIC, " ", ".", ("«", "»")),
    ("arabic", 0.10, _ARABIC, " ", ".", ("«", "»")),
    ("cjk", 0.10, _CJK, "", "。", ("「", "」")),
)


def _names(count: int) -> list[str]:
    """Invented proper nouns (places, people), rare by construction; deterministic."""
    combos = itertools.product(_SYLLABLES, repeat=3)
    return [("".join(parts)).capitalize() for parts in itertools.islice(combos, count)]


NAMES = _names(5000)


@dataclass(frozen=True)
class Query:
    """One realistic search: what a member types and what kind of search it is."""

    kind: str
    text: str


#: Queries the search and latency benchmarks use, drawn from the generator's vocabulary.
QUERIES: tuple[Query, ...] = (
    Query("common word", _LATIN[1]),
    Query("rare word", NAMES[-7]),
    Query("two words", f"{_LATIN[3]} {_LATIN[14]}"),
    Query("non-Latin word", _CYRILLIC[0]),
)
#: Prefixes typed into autocomplete (`suggest`): a common and a rarer word, cut short.
PREFIXES: tuple[Query, ...] = (
    Query("prefix (common)", _LATIN[2][:4]),
    Query("prefix (rare)", NAMES[-7][:5]),
)


class _Zipf:
    """Draw from a list with probability ∝ 1/rank**s (fast, via cumulative weights)."""

    def __init__(self, items: Sequence[str], s: float = 1.0) -> None:
        self.items = items
        total = 0.0
        self.cumulative: list[float] = []
        for rank in range(1, len(items) + 1):
            total += 1.0 / rank**s
            self.cumulative.append(total)
        self.total = total

    def draw(self, rng: random.Random) -> str:
        index = bisect.bisect_left(self.cumulative, rng.random() * self.total)
        return self.items[min(index, len(self.items) - 1)]

    def sample(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.items, cum_weights=self.cumulative, k=k)


_NAME_ZIPF = _Zipf(NAMES, 0.9)
_WORDS = {name: _Zipf(words, 1.0) for name, _, words, *_ in _SCRIPTS}


class BriefGenerator:
    """Deterministic stream of `BriefContent`: the same seed gives the same briefs."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.start = datetime(2020, 1, 1, tzinfo=UTC)

    def _script(self) -> tuple[str, Sequence[str], str, str, tuple[str, str]]:
        roll, acc = self.rng.random(), 0.0
        for name, weight, words, sep, end, quotes in _SCRIPTS:
            acc += weight
            if roll < acc:
                return name, words, sep, end, quotes
        name, _, words, sep, end, quotes = _SCRIPTS[0]
        return name, words, sep, end, quotes

    def _sentence(self, script: str, sep: str, end: str, low: int, high: int) -> str:
        rng = self.rng
        zipf = _WORDS[script]
        words = zipf.sample(rng, rng.randint(low, high))
        for _ in range(rng.randint(0, 2)):
            words.insert(rng.randrange(len(words) + 1), _NAME_ZIPF.draw(rng))
        if rng.random() < 0.15:
            words.insert(rng.randrange(len(words) + 1), str(rng.randint(2, 2030)))
        text = sep.join(words)
        if script in ("latin", "cyrillic"):
            text = text[0].upper() + text[1:]
        if script == "cjk" and len(words) > 6:
            cut = len(words) // 2
            text = sep.join(words[:cut]) + "，" + sep.join(words[cut:])
        return text + end

    def _paragraph(self, script: str, sep: str, end: str, quotes: tuple[str, str]) -> str:
        rng = self.rng
        spacer = "" if script == "cjk" else " "
        sentences = [self._sentence(script, sep, end, 6, 22) for _ in range(rng.randint(2, 6))]
        if rng.random() < 0.2:
            quote = self._sentence(script, sep, end, 5, 14)
            sentences.insert(rng.randrange(len(sentences) + 1), f"{quotes[0]}{quote}{quotes[1]}")
        return spacer.join(sentences)

    def brief(self) -> BriefContent:
        """Return the next brief."""
        rng = self.rng
        script, _, sep, end, quotes = self._script()
        title = self._sentence(script, sep, "", 3, 11)
        what = " ".join(self._sentence(script, sep, end, 8, 24) for _ in range(rng.randint(1, 3)))
        fields: dict[str, Any] = {"title": title, "what_happened": what}
        if rng.random() < 0.8:
            fields["who_was_involved"] = self._sentence(script, sep, end, 5, 16)
        if rng.random() < 0.7:
            fields["when_and_where"] = self._sentence(script, sep, end, 4, 12)
        if rng.random() < 0.6:
            said = f" — {_NAME_ZIPF.draw(rng)} {_NAME_ZIPF.draw(rng)}"
            fields["key_quote"] = f"{quotes[0]}{self._sentence(script, sep, end, 6, 18)}"
            fields["key_quote"] += f"{quotes[1]}{said}"
        if rng.random() < 0.85:
            fields["impact"] = self._sentence(script, sep, end, 6, 18)
        roll = rng.random()
        paragraphs = (
            0 if roll < 0.1 else rng.randint(1, 4) if roll < 0.7 else
            rng.randint(5, 12) if roll < 0.97 else rng.randint(20, 40)
        )  # fmt: skip
        fields["body"] = "\n\n".join(
            self._paragraph(script, sep, end, quotes) for _ in range(paragraphs)
        )
        if rng.random() < 0.5:
            fields["source_url"] = f"{rng.choice(_SITES)}{rng.randrange(10**9)}"
        if rng.random() < 0.4:
            fields["topics"] = rng.sample(_TOPICS, rng.randint(1, 3))
        offset = timedelta(minutes=rng.randrange(60 * 24 * 365 * 6))
        fields["published_at"] = self.start + offset if rng.random() < 0.9 else None
        return BriefContent.model_validate(fields)

    def briefs(self, count: int) -> Iterator[BriefContent]:
        """Yield `count` briefs."""
        for _ in range(count):
            yield self.brief()


def generate(count: int, seed: int = 1) -> list[BriefContent]:
    """Return `count` briefs for this seed (the first k are the same for any count ≥ k)."""
    return list(BriefGenerator(seed).briefs(count))


def as_json(brief: BriefContent) -> dict[str, Any]:
    """Return the brief as the JSON object `python -m bot import` reads."""
    return brief.model_dump(mode="json", exclude_none=True)


def write_text_files(briefs: Sequence[BriefContent], folder: Path) -> list[Path]:
    """Write one `.txt` file per brief in the publisher text format; return their paths."""
    from bot.brief.parsing import format_brief

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, brief in enumerate(briefs):
        path = folder / f"brief-{n:06d}.txt"
        path.write_text(format_brief(brief), encoding="utf-8")
        paths.append(path)
    return paths


def write_json_file(briefs: Sequence[BriefContent], path: Path) -> Path:
    """Write all briefs as one JSON list; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = [as_json(b) for b in briefs]
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return path


def script_of(text: str) -> str:
    """Name the script of a text's first letter (for reporting the generated mix)."""
    first = next((char for char in text if char.isalpha()), "a")
    for name, low, high in (("cjk", "\u4e00", "\u9fff"), ("arabic", "\u0600", "\u06ff")):
        if low <= first <= high:
            return name
    return "cyrillic" if "\u0400" <= first <= "\u04ff" else "latin"


def _check(count: int, seed: int) -> None:
    """Verify the text form of every brief parses back to the same content."""
    from bot.brief.parsing import format_brief, parse_brief

    text_fields = set(BriefContent.model_fields) - {"source_url", "topics", "published_at"}
    scripts: dict[str, int] = {}
    for n, brief in enumerate(BriefGenerator(seed).briefs(count)):
        back = parse_brief(format_brief(brief))
        for name in text_fields:
            if getattr(back, name) != getattr(brief, name):
                raise SystemExit(f"brief {n}: field {name} does not round-trip")
        kind = script_of(brief.title)
        scripts[kind] = scripts.get(kind, 0) + 1
    sizes = [len(b.body) for b in BriefGenerator(seed).briefs(count)]
    sizes.sort()
    print(f"{count} briefs round-trip; scripts {scripts}")
    print(
        f"body chars: median {sizes[len(sizes) // 2]}, max {sizes[-1]}, mean {sum(sizes) // count}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Print sample briefs, or check that generated briefs round-trip through the text format."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", type=int, metavar="N", help="round-trip N briefs")
    parser.add_argument("--show", type=int, default=3, metavar="N", help="print N briefs")
    args = parser.parse_args(argv)
    if args.check:
        _check(args.check, args.seed)
        return
    from bot.brief.parsing import format_brief

    for brief in generate(args.show, args.seed):
        print(format_brief(brief))


if __name__ == "__main__":
    main()
