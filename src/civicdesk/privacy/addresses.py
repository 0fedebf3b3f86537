"""STREET_ADDRESS: street lines found by shape, offline.

* British and North American: house number (or flat, unit, suite) + street name + street
  type ("14 Acacia Avenue", "Flat 2, 7 Mill Lane"), with an optional locality after a comma;
* Welsh and Romance street-first forms: "12 Heol y Parc", "Via delle Coste 41", "Rue de la
  Paix 8";
* Germanic, Nordic and Central European forms: a street word with its type fused on, then a
  number ("Friedhofstrasse 33", "Nybyvägen 65", "Koskikatu 25");
* flats, suites and post boxes on their own ("Apt. 322", "PO Box 91");
* a street with no number only after words like "I live on" or "my address is".

The postcode, when present, is left to the UK_POSTCODE recogniser.
"""

from __future__ import annotations

import re

from civicdesk.privacy.spans import DetectedSpan

STREET_TYPES = (
    "Road|Rd|Street|St|Avenue|Ave|Av|Lane|Ln|Close|Cl|Drive|Dr|Way|Court|Ct|Crescent|Cres|"
    "Place|Pl|Terrace|Terr|Gardens|Gdns|Grove|Gr|Hill|Park|Square|Sq|Walk|Mews|Row|Rise|View|"
    "Parade|Green|Vale|Heights|Boulevard|Blvd|Wynd|Gate|Chase|Fold|Croft|Meadows?|Approach|"
    "Broadway|Embankment|Esplanade|Quay|Wharf|Yard|Brow|Bank|End|Circus|Cottages|Buildings|"
    "Circle|Cir|Trail|Parkway|Pkwy|Highway|Hwy|Loop|Pass|Path|Pike|Plaza|Point|Ridge|Run|"
    "Springs?|Station|Summit|Track|Trace|Turnpike|Valley|Vista|Junction|Knoll|Landing|Manor|"
    "Mill|Mount|Orchard|Oval|Port|River|Shore|Isle|Island|Harbou?r|Haven|Hollow|Expressway|"
    "Extension|Falls|Ferry|Fields?|Ford|Forest|Fork|Freeway|Gardens?|Gateway|Glen|Brook|"
    "Bypass|Causeway|Centre|Center|Common|Corner|Course|Cove|Creek|Crest|Crossing|Dale|"
    "Estate|Alley|Arcade|Beach|Bend|Bridge|Burrow|Spur|Stravenue|Villas?|Wood|Woods"
)
STREET_FIRST = (
    r"Heol|Ffordd|Stryd|Lôn|Lon|Rhodfa|Cilgant|Maes|Clos|Via|Viale|Vicolo|Piazza|Piazzale|"
    r"Corso|Largo|Strada|Rue|Avenue|Boulevard|Chemin|Allée|Impasse|Quai|Calle|Avenida|"
    r"Carrer|Paseo|Camino|Plaza|Ronda|Travesía|Rua|Praça|Travessa|Estrada|Ulica|ul\.|Aleja|"
    r"Al\.|Plac|Osiedle|Strada|Bulevardul|Calea|Ulitsa|Prospekt"
)
FUSED = (
    r"(?:strasse|straße|str\.|weg|gasse|platz|allee|damm|ufer|steig|vägen|väg|gatan|"
    r"gata|gränd|backe|stigen|katu|tie|kuja|polku|raitti|laan|straat|plein|gracht|kade|gade|"
    r"vej|veien|vegen|gata|utca|útja|tér|körút|ulica|utca|cesta|iela|gatve|tänav|sokak|"
    r"sokağı|caddesi|bulvarı)"
)
NUMBER = r"\d{1,5}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
WORD = r"[A-ZÀ-ÖØ-Þ][\w'’\-]*"
UNIT = r"(?:Flat|Apartment|Apt|Unit|Suite|Ste|Room|Floor|Block)\.? ?\d{1,5}[A-Za-z]?"
LOCALITY = rf"(?:,? {WORD}(?: {WORD})?(?=[,.\n]|$| [A-Z]{{1,2}}\d))"

_STREET = re.compile(
    rf"(?:{UNIT},? )?(?<![\w£$€.,])(?:\d{{1,5}} )?(?:{NUMBER},? )"
    rf"(?:{WORD} ){{1,3}}(?:{STREET_TYPES})\b\.?"
    rf"(?:,? {UNIT})?{LOCALITY}?"
)
_STREET_FIRST = re.compile(
    rf"(?:(?<![\w£$€.,]){NUMBER},? )?\b(?:{STREET_FIRST}) (?:[\w'’\-]+ ){{0,3}}?"
    rf"(?:{WORD})(?: {NUMBER}\b)?(?:,? {UNIT})?"
)
_FUSED = re.compile(
    rf"(?:(?<![\w£$€.,]){NUMBER} )?\b[A-ZÀ-ÖØ-Þa-zà-öø-ÿ][\w'’\-]{{2,}}{FUSED}\.? {NUMBER}\b\.?"
    rf"(?:,? {UNIT})?",
)
_SEPARATE_TYPE = re.compile(
    rf"(?:(?<![\w£$€.,]){NUMBER} )?\b{WORD} (?:tér|utca|út|körút|sokak|caddesi|ulica|iela|"
    rf"tänav|gatve|cesta|gate|vei|vej|gata|väg|weg|straat|laan|Strasse|Straße|Str\.|Weg|Gasse|"
    rf"Platz|Allee|Str) {NUMBER}\b\.?(?:,? {UNIT})?"
)
NOT_CALENDAR = (
    r"(?!(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun|"
    r"Section|Year|Form|Page|Chapter|Windows|Version|Room|Band|Level|Stage|Step|Part|Week|"
    r"Day|Floor|Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref|"
    r"Tachwedd|Rhagfyr)[a-z]*\b)"
)
# "Holmatun 45", "Dunajska 56": street then number, the usual order in most of Europe. Alone
# it reads like "Section 21" or "Windows 10", so it needs an address word before it or a
# building number in front.
_NAME_NUMBER = re.compile(
    rf"(?<![\w£$€.,])(?:(?P<lead>\d{{1,5}}) )?(?:{NOT_CALENDAR}{WORD} ){{1,3}}{NUMBER}\b\.?"
    rf"(?:,? {UNIT})?"
)
_ADDRESS_BEFORE = re.compile(
    r"(?:live[sd]? (?:at|on|in)|living (?:at|on)|address(?: is|:)?|moved to|send (?:it |them )?"
    r"to|sent to|deliver(?:ed)? to|is at|located at|located on|off at|station is on|"
    r"office is at|corner of|flat at|house at|property at|post to|write to)\s*$",
    re.IGNORECASE,
)
_LINE_START = re.compile(r"(?:^|\n)[ \t>?]*$")
_PREVIOUS_LINE = re.compile(
    r"(?:^|\n)[ \t>?]*((?:\d{1,5}[A-Za-z]?,? [^\n:@]{2,60}|[^\n:@\d]{2,50} \d{1,5}[A-Za-z]?\.?))"
    r"[ \t]*\n[ \t>?]*$"
)
_UNIT_ALONE = re.compile(rf"\b{UNIT}\b")
_PO_BOX = re.compile(
    r"\b(?:P\.? ?O\.? Box|PO Box|Post Office Box|PSC \d{3,5},? Box|Unit \d{3,5},? Box|"
    r"Freepost)\s?\d{1,6}(?:\s?APO \w\w \d{5})?\b|\bAPO \w\w \d{5}\b"
)
_UNNUMBERED = re.compile(rf"(?:{WORD} ){{1,3}}(?:{STREET_TYPES})\b")
_LIVES = re.compile(
    r"(?:live[sd]? (?:at|on|in)|living (?:at|on|in)|address is|moved to|address:|"
    r"house on|flat on|property on|i'm on|we're on)\s*$",
    re.IGNORECASE,
)


_NEXT_PART = re.compile(r"[ \t>?]*(?:,|\n)[ \t>?,]*(?:\n[ \t>?,]*)?")
_PART = re.compile(r"[^,\n]{1,60}")
_LOCALITY_WORD = re.compile(
    r"(?:[A-ZÀ-ÖØ-Þ][\w'’.\-]*|\d{3,6}(?:-\d{3,4})?|de|la|le|di|del|upon|on|the|y|am|an|der|sur)$"
)
_UK_POSTCODE_SHAPE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b", re.IGNORECASE)
_NOT_LOCALITY = re.compile(r"[:@/]|\d{7,}")


def extend_block(text: str, end: int, limit: int = 4) -> int:
    """Carry an address on over the next lines or comma parts that read as town, region,
    country or zip ("\\n Artilleros\\n, CO\\n Uruguay 64677"); stop before a UK postcode, which
    keeps its own type, and at anything else."""
    for _ in range(limit):
        gap = _NEXT_PART.match(text, end)
        if gap is None:
            break
        part = _PART.match(text, gap.end())
        if part is None:
            break
        words = part.group().strip().split()
        if (
            not words
            or len(words) > 5
            or _NOT_LOCALITY.search(part.group())
            or _UK_POSTCODE_SHAPE.match(part.group().strip())
            or not all(_LOCALITY_WORD.match(word) for word in words)
            or not (_UNIT_ALONE.match(part.group().strip()) or words[0][0].isupper())
        ):
            break
        end = part.start() + len(part.group().rstrip())
    return end


# Cheap searches that tell whether the costlier patterns can match at all.
_HINT_STREET = re.compile(rf"\d[^\n]{{0,60}}\b(?:{STREET_TYPES})\b")
_HINT_FUSED = re.compile(rf"{FUSED}\.? \d")
_HINT_FIRST = re.compile(rf"\b(?:{STREET_FIRST}) ")
_HINT_LIVES = re.compile(r"live|living|address|moved|house|flat|property|i'm on|we're on", re.I)


class AddressDetector:
    """Street lines, flats and post boxes in normalised text."""

    types = frozenset({"STREET_ADDRESS"})

    def find(self, text: str) -> list[DetectedSpan]:
        found: list[DetectedSpan] = []
        has_digit = any(char.isdigit() for char in text)
        patterns: list[tuple[re.Pattern[str], float]] = []
        if has_digit:
            if _HINT_STREET.search(text):
                patterns.append((_STREET, 0.85))
            if _HINT_FUSED.search(text):
                patterns.append((_FUSED, 0.8))
            patterns += [(_SEPARATE_TYPE, 0.8), (_PO_BOX, 0.8)]
        for regex, score in patterns:
            found.extend(
                DetectedSpan("STREET_ADDRESS", m.start(), m.end(), score)
                for m in regex.finditer(text)
            )
        for m in _STREET_FIRST.finditer(text) if _HINT_FIRST.search(text) else ():
            numbered = any(ch.isdigit() for ch in m.group())
            found.append(
                DetectedSpan("STREET_ADDRESS", m.start(), m.end(), 0.8 if numbered else 0.45)
            )
        for m in _NAME_NUMBER.finditer(text) if has_digit else ():
            before = text[max(0, m.start() - 30) : m.start()]
            if m.group("lead") or _ADDRESS_BEFORE.search(before):
                found.append(DetectedSpan("STREET_ADDRESS", m.start(), m.end(), 0.75))
        for m in _UNIT_ALONE.finditer(text):
            start = m.start()
            head = text[max(0, start - 80) : start]
            if _LINE_START.search(head):
                line = _PREVIOUS_LINE.search(head)
                if line:
                    start -= len(head) - line.start(1)
            score = 0.75 if start < m.start() else 0.6
            found.append(DetectedSpan("STREET_ADDRESS", start, m.end(), score))
        for m in _UNNUMBERED.finditer(text) if _HINT_LIVES.search(text) else ():
            if _LIVES.search(text[max(0, m.start() - 30) : m.start()]):
                found.append(DetectedSpan("STREET_ADDRESS", m.start(), m.end(), 0.75))
        return [
            DetectedSpan(span.type, span.start, extend_block(text, span.end), span.score)
            if span.score >= 0.75
            else span
            for span in _merge(found)
        ]


def _merge(spans: list[DetectedSpan]) -> list[DetectedSpan]:
    """Join overlapping or touching address pieces into one span, keeping the best score."""
    merged: list[DetectedSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start <= merged[-1].end + 2 and span.score >= 0.5:
            last = merged[-1]
            if last.score >= 0.5:
                merged[-1] = DetectedSpan(
                    last.type, last.start, max(last.end, span.end), max(last.score, span.score)
                )
                continue
        merged.append(span)
    return merged
