"""PERSON: names found offline, without a statistical model.

Three kinds of evidence, strongest first:

1. an honorific (Mr, Mrs, Dr, Cllr ...) or an introduction ("my name is", "Dear", "regards",
   "my son", "on behalf of") just before a run of capitalised words;
2. a run of two to four capitalised words of which one is a known given or family name
   (gazetteers of many origins, see :mod:`civicdesk.privacy.gazetteer`) and the others are
   not ordinary English words;
3. a single known name that is not also an ordinary English word ("Emily", "Kateřina").

A run stops at words that belong to organisations, places, streets and calendars
("Council", "Road", "Monday"), so "Council Tax" or "Harrison Road" are not people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from civicdesk.privacy.gazetteer import Gazetteer, load_gazetteer
from civicdesk.privacy.spans import DetectedSpan

_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
HONORIFICS = frozenset(
    "mr mrs ms miss mx dr prof professor sir dame lord lady rev revd reverend cllr councillor "
    "father sister imam rabbi pastor capt captain sgt sergeant".split()
)
PARTICLES = frozenset(
    "van von der den de da das dos del della di du le la bin binti ibn al el ap ab ben st".split()
)
SUFFIXES = frozenset("md phd jr sr jnr snr ii iii iv mbe obe cbe dds esq".split())
JOINERS = PARTICLES | SUFFIXES
STOP = frozenset(
    """
    council borough county district city town village parish ward centre center office
    service services department ministry agency authority trust hospital surgery practice
    clinic school college university academy court tribunal bank building society ltd
    limited plc llp inc group company association partnership housing benefit benefits
    credit tax allowance pension support payment scheme fund grant team unit
    road rd street st avenue ave lane close drive way crescent place terrace gardens grove
    hill park square walk mews row rise view parade green vale heights boulevard house
    estate flat apartment suite floor
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december
    england scotland wales ireland britain kingdom united states uk gb eu nhs hmrc dwp dvla
    i i'm i've i'll i'd im please thanks thank hello hi dear yes no ok okay the a an
    regards sincerely best kind cheers love yours warm faithfully truly many
    english welsh scottish irish british polish czech danish dutch german french spanish
    italian portuguese russian chinese japanese indian pakistani nigerian somali arabic
    turkish greek romanian bulgarian ukrainian swedish norwegian finnish american canadian
    australian african asian european muslim christian jewish hindu sikh catholic
    france germany spain italy portugal poland romania bulgaria hungary greece turkey russia
    ukraine sweden norway denmark finland iceland netherlands belgium austria switzerland
    china japan india pakistan bangladesh nigeria ghana kenya somalia ethiopia egypt morocco
    brazil mexico argentina canada australia zealand america africa europe asia london
    cardiff edinburgh belfast dublin
    dydd llun mawrth mercher iau gwener sadwrn sul ionawr chwefror ebrill mai mehefin
    gorffennaf awst medi hydref tachwedd rhagfyr cyngor gyngor treth dreth ysgol castell
    porth eglwys canolfan gwasanaeth gwasanaethau tai budd-dal heol ffordd stryd parc
    hanfodion cymru cymraeg saesneg sir swyddfa llyfrgell
    """.split()
)
# Welsh and British place-name beginnings: "Llanfair", "Aberwen", "Caerphilly", "Pontypridd".
_PLACE_PREFIX = re.compile(
    r"^(?:llan|aber|caer|pont|cwm|ystrad|merthyr)|-(?:on|upon|under|le|by)-", re.IGNORECASE
)
_PERSON_VERB_AFTER = re.compile(
    r"\s+(?:is|was|lives|lived|said|says|told|asked|wrote|writes|called|rang|works|worked|"
    r"has|had|and i|who|will|would|can|could|did|does|began|spent|went|came|got|made|left|"
    r"joined|needs|wants|lost|moved|died|passed away)\b|,\s+(?:the|a|an|our|my|who)\s"
)
_NAME_CUE_BEFORE = re.compile(
    r"\b(?:with|to|by|from|for|and|called|named|contact|ask|tell|update|inform|see|meet|"
    r"help|about|of|cc|attn|attention|behalf of|thanks|thank)\s+$"
)
_LINE_BEFORE = re.compile(r"(?:^|\n)[ \t>?*\-]*$")
_LINE_AFTER = re.compile(r"[ \t]*(?:\n|$)")
_SPOKE_WITH = re.compile(r"\b(?:said|says|asked|told|thanked|met|meet|spoke to)\s+$")
_VOCATIVE = re.compile(r"^[ ]?[!?]")
_SPEAKER = re.compile(r"^:[ ]")
_LOWER_INTRODUCED = re.compile(
    r"(?:my name is|my name's|i am called|i'm called|name:)\s+"
    r"([a-zà-öø-ÿ][\w'’\-]+(?: [a-zà-öø-ÿ][\w'’\-]+){0,2})",
    re.IGNORECASE,
)
_PERSON_VERB_BEFORE = re.compile(r"(?:says|said|asked|told|thanked|met|meet|with|by|to)\s+$")
_PLACE_BEFORE = re.compile(r"(?:\bin|\bat|\bnear|\bnear to|\baround|\bvisit|\bvisited)\s+$")
_LIST_GAP = re.compile(r"\s*(?:,|&|\band\b|\bor\b)\s*$")
_INTRODUCTION = re.compile(
    r"(?:my name is|my name's|name is|names are|i am|i'm|im|called|named|this is|dear|hi|"
    r"hello|regards|thanks|thank you|cheers|signed|sincerely|yours|from|by|to|for|with|"
    r"and|on behalf of|name|contact|ask for|spoke to|speak to|spoken to|tenant|landlord|"
    r"my (?:son|daughter|wife|husband|partner|mum|mother|dad|father|brother|sister|"
    r"grandson|granddaughter|grandmother|grandfather|nan|gran|child|baby|carer|friend|"
    r"neighbour|landlord|tenant|aunt|uncle|niece|nephew|cousin|boss|manager|colleague|"
    r"caseworker|advisor|adviser|social worker|gp|doctor|client|late husband|late wife|"
    r"ex-partner|ex|fiancée?|stepson|stepdaughter|stepmother|stepfather)(?:'s)?)"
    r"[\s,:]*(?:is |was |called |named )?$"
)
_HONORIFIC_BEFORE = re.compile(r"\b(?:" + "|".join(sorted(HONORIFICS)) + r")\.? ?$")
_NAME_INTRO_STRONG = re.compile(
    r"(?:my name is|my name's|name is|called|named|dear|regards|thanks|signed|sincerely|"
    r"hi|hello|hey|good morning|good afternoon|good evening|morning|"
    r"on behalf of|name|my (?:\w+ ?){1,2}(?:'s)?|this is)[\s,:?]*(?:is |was |called |named )?$"
)


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    text: str

    @property
    def key(self) -> str:
        return self.text.lower()


class NameDetector:
    """Finds people's names in normalised text; cheap per call, shares one gazetteer."""

    types = frozenset({"PERSON"})

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer or load_gazetteer()

    def _capitalised(self, token: _Token) -> bool:
        text = token.text
        if not text[0].isupper():
            return False
        if text.isupper() and len(text) > 1:
            return False
        return token.key not in STOP and not _PLACE_PREFIX.search(text)

    def _runs(self, text: str) -> list[list[_Token]]:
        """Runs of capitalised words (with particles and suffixes between or after them)."""
        runs: list[list[_Token]] = []
        current: list[_Token] = []
        for match in _TOKEN.finditer(text):
            word = match.group()
            lower = word.islower()
            if lower and word not in JOINERS:
                if current:
                    runs.append(current)
                    current = []
                continue
            token = _Token(match.start(), match.end(), word)
            joined = bool(current) and self._joins(text, current[-1], token)
            if not lower and self._capitalised(token):
                if current and not joined:
                    runs.append(current)
                    current = []
                current.append(token)
            elif joined and (token.key in SUFFIXES or token.key in PARTICLES):
                current.append(token)
            elif current:
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        return runs

    @staticmethod
    def _joins(text: str, before: _Token, after: _Token) -> bool:
        gap = text[before.end : after.start]
        if gap == " ":
            return True
        return gap in (". ", ".") and len(before.text) == 1

    def _name_like(self, token: _Token) -> bool:
        g = self.gazetteer
        return g.is_name(token.text) or not g.is_common_word(token.text)

    def find(self, text: str) -> list[DetectedSpan]:
        g = self.gazetteer
        found: list[DetectedSpan] = []
        doubtful: list[tuple[int, int]] = []
        for run in self._runs(text):
            while run and run[-1].key in PARTICLES:
                run = run[:-1]
            while run and (
                run[0].key in PARTICLES | SUFFIXES
                or (g.is_common_word(run[0].text) and run[0].text not in g.given and len(run) > 1)
            ):
                run = run[1:]
            if not run:
                continue
            honorific = run[0].key in HONORIFICS
            if honorific:
                run = run[1:]
                if not run:
                    continue
            start, end = run[0].start, run[-1].end
            before = text[max(0, start - 40) : start].lower()
            after = text[end : end + 20].lower()
            if not honorific:
                honorific = _HONORIFIC_BEFORE.search(before) is not None
            core = [
                t
                for t in run
                if t.key not in PARTICLES and t.key not in SUFFIXES and len(t.text) > 1
            ]
            if not core:
                continue
            hits = sum(1 for t in core if g.is_name(t.text))
            plain = sum(1 for t in core if not g.is_common_word(t.text))
            name_like = all(self._name_like(t) or len(t.text) == 1 for t in core)
            first_given = core[0].text in g.given and not g.is_common_word(core[0].text)
            sentence_start = not before.strip() or before.rstrip()[-1] in ".!?:\n>"
            verb = bool(_PERSON_VERB_AFTER.match(after) or _PERSON_VERB_BEFORE.search(before))
            score = 0.0
            if honorific:
                score = 0.9
            elif _NAME_INTRO_STRONG.search(before) and (hits or plain):
                score = 0.85
            elif len(core) >= 2 and hits >= 1 and name_like and (hits >= 2 or plain >= 1):
                score = 0.8
            elif len(core) >= 2 and first_given:
                score = 0.7
            elif len(core) >= 2 and hits >= 2:
                score = 0.6
            elif len(core) == 1 and hits and plain:
                score = 0.7 if _INTRODUCTION.search(before) else 0.6
            elif len(core) == 1 and (
                (
                    plain
                    and (
                        verb
                        or (before.endswith(", ") and _VOCATIVE.match(after))
                        or (sentence_start and hits and _SPEAKER.match(after))
                    )
                )
                or (hits and _SPOKE_WITH.search(before))
            ):
                score = 0.55
            elif plain == len(core) and len(core) <= 3 and not _PLACE_BEFORE.search(before):
                own_line = _LINE_BEFORE.search(before) is not None and _LINE_AFTER.match(after)
                cue = _NAME_CUE_BEFORE.search(before) is not None
                if verb or (len(core) >= 2 and (cue or own_line)):
                    score = 0.55
            if score:
                found.append(DetectedSpan("PERSON", start, end, score))
            elif len(core) == 1 and (hits or plain):
                doubtful.append((start, end))
        return found + self._listed(text, found, doubtful) + self._lower_case(text)

    def _lower_case(self, text: str) -> list[DetectedSpan]:
        """Names typed in lower case after "my name is": kept while they read as names."""
        g = self.gazetteer
        spans: list[DetectedSpan] = []
        for match in _LOWER_INTRODUCED.finditer(text):
            if match.group(1)[0].isupper():
                continue
            end = match.start(1)
            for token in _TOKEN.finditer(match.group(1)):
                word = token.group()
                title = word[:1].upper() + word[1:]
                if not (g.is_name(title) or not g.is_common_word(word)) or word in STOP:
                    break
                end = match.start(1) + token.end()
            if end > match.start(1):
                spans.append(DetectedSpan("PERSON", match.start(1), end, 0.8))
        return spans

    @staticmethod
    def _listed(
        text: str, found: list[DetectedSpan], doubtful: list[tuple[int, int]]
    ) -> list[DetectedSpan]:
        """Single capitalised names in a list with found names ("Monjeau, Graves and Reed")."""
        if not found or not doubtful:
            return []
        ends = {span.end for span in found}
        starts = {span.start for span in found}
        extra: list[DetectedSpan] = []
        for start, end in doubtful:
            gap_before = _LIST_GAP.search(text[max(0, start - 6) : start])
            previous = start - len(gap_before.group()) if gap_before else -1
            following = re.match(r"\s*(?:,|&|and\b|or\b)\s*", text[end : end + 6])
            after = end + len(following.group()) if following else -1
            if previous in ends or after in starts:
                extra.append(DetectedSpan("PERSON", start, end, 0.55))
        return extra
