"""Generate the UK personal-data benchmark set: citizen-voice sentences with labelled spans.

Every identifier is valid (real check digits, real postcode shapes, Ofcom drama-range phone
numbers); names come from hand-written lists of many origins, kept apart from the engine's
gazetteers so the set measures how the engine generalises. Near-misses (bad checksums, form
names, money, payment dates, undeclared references, the council's own published numbers)
carry no spans: anything found in them is a false positive.

    python bench/pii_synth.py --count 2400 --seed 7 > uk.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field

NAMES: dict[str, tuple[list[str], list[str]]] = {
    "british": (
        "Oliver Amelia Harry Jessica Thomas Sophie George Charlotte Jack Lucy William Emily "
        "Daniel Hannah Samuel Megan Joseph Rebecca Matthew Chloe".split(),
        "Smith Jones Taylor Brown Wilson Evans Thomas Johnson Roberts Walker Wright Robinson "
        "Thompson Hughes Edwards Green Hall Wood Harris Clarke".split(),
    ),
    "welsh": (
        "Rhys Cerys Dafydd Angharad Gethin Siân Iwan Catrin Owain Ffion Emyr Nia Llywelyn "
        "Eluned Gwion Mared Tomos Bethan Huw Lowri".split(),
        "Jones Williams Davies Evans Griffiths Morgan Pritchard Pugh Llewellyn Vaughan Rees "
        "Powell Howells Parry Bowen Gwynne".split(),
    ),
    "irish": (
        "Siobhan Ciarán Aoife Niamh Seamus Caoimhe Padraig Orla Eoin Roisin Cormac Sinead "
        "Darragh Aisling Declan Grainne".split(),
        "O'Brien Murphy Kelly O'Sullivan Walsh McCarthy O'Connor Byrne Ryan Doherty "
        "Gallagher Quinn Brennan Kavanagh Fitzgerald".split(),
    ),
    "south_asian": (
        "Priya Rajesh Aarav Ananya Sanjay Deepa Harpreet Gurpreet Imran Ayesha Farhan "
        "Nusrat Vikram Sunita Arjun Kavita Mohammed Shabana Tariq Rukhsana".split(),
        "Patel Sharma Singh Kaur Khan Ahmed Hussain Begum Chowdhury Iqbal Gupta Shah Mistry "
        "Rahman Malik Bhatti Uddin".split(),
    ),
    "polish": (
        "Agnieszka Krzysztof Małgorzata Piotr Katarzyna Tomasz Magdalena Paweł Joanna "
        "Grzegorz Ewa Łukasz Zofia Wojciech Dorota Marek".split(),
        "Kowalski Nowak Wiśniewska Wójcik Kowalczyk Kamińska Lewandowski Zieliński "
        "Szymańska Woźniak Dąbrowski Kozłowska Jankowski Mazur".split(),
    ),
    "nigerian": (
        "Oluwaseun Chidi Ngozi Adebayo Folake Emeka Chiamaka Tunde Funmilayo Obinna "
        "Yetunde Chukwuemeka Bisi Ifeoma Babatunde Nneka".split(),
        "Okafor Adeyemi Okonkwo Balogun Eze Olawale Nwosu Adeleke Obi Okoro Afolabi "
        "Ogunleye Chukwu Bello".split(),
    ),
    "chinese": (
        "Wei Xiaoming Li Na Jing Hao Mei Jun Yan Lei Xin Zhen Qiang Ying Bo Hui".split(),
        "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Lin".split(),
    ),
    "arabic": (
        "Ahmed Fatima Omar Aisha Youssef Layla Khalid Mariam Hassan Noor Tariq Zainab "
        "Abdullah Samira Karim Huda".split(),
        "Al-Sayed Haddad Mansour Khalil Nasser Hamdan Farouk Saleh Aziz Rahim Qureshi "
        "Abbas Darwish Hashemi".split(),
    ),
    "somali": (
        "Abdi Hodan Mohamed Fadumo Ahmed Ayaan Hamza Sahra Liban Idil".split(),
        "Warsame Farah Hassan Abdullahi Omar Osman Jama Yusuf Ali Mohamud".split(),
    ),
    "romanian": (
        "Andrei Ioana Mihai Elena Alexandru Cristina Bogdan Gabriela Florin Roxana".split(),
        "Popescu Ionescu Popa Dumitru Stan Stoica Gheorghe Munteanu Constantin Marin".split(),
    ),
}
STREETS = (
    "Acacia Avenue|Mill Lane|Church Street|Station Road|Victoria Road|Park Crescent|"
    "Harrow Close|Kingsway Drive|Orchard Way|Beech Grove|Windsor Terrace|Meadow View|"
    "Albert Street|Coronation Road|Queens Gardens|Hawthorn Rise|Castle Hill|Brook Lane|"
    "Oak Tree Court|Marlborough Place|Heol y Parc|Ffordd Pentre|Stryd Fawr|Heol Las"
).split("|")
TOWNS = (
    "Leeds|Cardiff|Swansea|Bradford|Leicester|Croydon|Birmingham|Manchester|Luton|"
    "Newport|Wrexham|Slough|Peterborough|Bristol|Aberystwyth|Sheffield"
).split("|")
POSTCODE_AREAS = "LS CF SA BD LE CR B M LU NP LL SL PE BS SY S SW E N W NW SE EC".split()
COUNCIL_NUMBERS = ["0300 123 4567", "029 2087 2087", "0800 555 0100"]
ALLOW_LIST = [{"value": number, "type": "PHONE_NUMBER"} for number in COUNCIL_NUMBERS]
NEAR_MISS_LABEL = "NEAR_MISS"


@dataclass
class Sentence:
    text: str = ""
    spans: list[dict[str, object]] = field(default_factory=list)
    template: str = ""
    origin: str = ""

    def add(self, piece: str, kind: str | None = None) -> None:
        if kind:
            self.spans.append(
                {"type": kind, "start": len(self.text), "end": len(self.text) + len(piece)}
            )
        self.text += piece


class Identifiers:
    """Valid UK identifiers from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def split(self, value: str, groups: list[int], obfuscate: bool = True) -> str:
        r = self.rng.random()
        sep = " " if r < 0.5 else "-" if r < 0.6 else "" if r < 0.85 else "."
        out, i = [], 0
        for g in groups:
            out.append(value[i : i + g])
            i += g
        text = sep.join(out)
        if obfuscate and self.rng.random() < 0.06:
            text = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)
        elif obfuscate and self.rng.random() < 0.05:
            text = "\u200b".join(text)
        return text

    def nhs(self, valid: bool = True) -> str:
        while True:
            body = str(self.rng.choice([4, 6, 7])) + self.digits(8)
            total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
            check = (11 - total % 11) % 11
            if check == 10:
                continue
            last = check if valid else (check + self.rng.randint(1, 9)) % 10
            return self.split(body + str(last), [3, 3, 4])

    def nino(self) -> str:
        first = self.rng.choice("ABCEGHJKLMNPRSTWXYZ")
        second = self.rng.choice("ABCEGHJKLMNPRSTWXYZ")
        if first + second in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
            second = "A"
        value = first + second + self.digits(6) + self.rng.choice("ABCD")
        if self.rng.random() < 0.5:
            value = f"{value[:2]} {value[2:4]} {value[4:6]} {value[6:8]} {value[8]}"
        return value.lower() if self.rng.random() < 0.1 else value

    def postcode(self) -> str:
        area = self.rng.choice(POSTCODE_AREAS)
        district = str(self.rng.randint(1, 19)) if len(area) == 2 else str(self.rng.randint(1, 29))
        unit = self.rng.choice("ABDEFGHJLNPQRSTUWXYZ") + self.rng.choice("ABDEFGHJLNPQRSTUWXYZ")
        return f"{area}{district} {self.rng.randint(1, 9)}{unit}"

    def phone(self) -> str:
        kind = self.rng.random()
        if kind < 0.4:
            return self.split("07700900" + self.digits(3), [5, 6], obfuscate=False)
        if kind < 0.6:
            return "020 7946 0" + self.digits(3)
        if kind < 0.75:
            return "0161 496 0" + self.digits(3)
        if kind < 0.9:
            return "+44 7700 900" + self.digits(3)
        return self.rng.choice(["+48 512 ", "+234 803 ", "+353 85 ", "+92 300 "]) + self.digits(7)

    def card(self) -> str:
        prefix, length = self.rng.choice(
            [("4", 16), ("51", 16), ("55", 16), ("34", 15), ("37", 15)]
        )
        body = prefix + self.digits(length - len(prefix) - 1)
        total = 0
        for i, ch in enumerate(reversed(body)):
            d = int(ch)
            if i % 2 == 0:
                d = d * 2 - 9 if d * 2 > 9 else d * 2
            total += d
        number = body + str((10 - total % 10) % 10)
        return self.split(number, [4, 4, 4, 4] if length == 16 else [4, 6, 5])

    def iban(self) -> str:
        bank = "".join(self.rng.choice(string.ascii_uppercase) for _ in range(4))
        bban = bank + self.digits(14)
        numeric = "".join(str(int(c, 36)) for c in bban + "GB00")
        check = 98 - int(numeric) % 97
        value = f"GB{check:02d}{bban}"
        return (
            " ".join(value[i : i + 4] for i in range(0, len(value), 4))
            if self.rng.random() < 0.5
            else value
        )

    def sort_code(self) -> str:
        return "-".join(self.digits(2) for _ in range(3))

    def licence(self, surname: str, born: tuple[int, int, int]) -> str:
        letters = "".join(c for c in surname.upper() if c in string.ascii_uppercase)[:5].ljust(
            5, "9"
        )
        day, month, year = born
        month_code = month + (50 if self.rng.random() < 0.5 else 0)
        initials = self.rng.choice(string.ascii_uppercase) + self.rng.choice(
            string.ascii_uppercase + "9"
        )
        return (
            f"{letters}{str(year)[2]}{month_code:02d}{day:02d}{str(year)[3]}{initials}"
            f"{self.rng.randint(0, 9)}{self.rng.choice(string.ascii_uppercase)}"
            f"{self.rng.choice(string.ascii_uppercase)}"
        )

    def vehicle(self) -> str:
        letters = "ABCDEFGHJKLMNOPRSTUVWXY"
        return (
            self.rng.choice(letters)
            + self.rng.choice(letters)
            + f"{self.rng.randint(51, 74):02d}"
            + " "
            + "".join(self.rng.choice("ABCDEFGHJKLMNOPRSTUVWXYZ") for _ in range(3))
        )

    def ip(self) -> str:
        if self.rng.random() < 0.8:
            return ".".join(str(self.rng.randint(1, 254)) for _ in range(4))
        return ":".join(f"{self.rng.randint(0, 65535):x}" for _ in range(8))

    def date(self, born: tuple[int, int, int]) -> str:
        day, month, year = born
        months = (
            "January February March April May June July August September October November December"
        ).split()
        style = self.rng.random()
        if style < 0.5:
            return f"{day:02d}/{month:02d}/{year}"
        if style < 0.8:
            return f"{day} {months[month - 1]} {year}"
        return f"{day}.{month:02d}.{year}"


Filler = Callable[[Sentence, "Context"], None]


@dataclass
class Context:
    rng: random.Random
    ids: Identifiers
    first: str
    last: str
    origin: str
    born: tuple[int, int, int]


def _t(*parts: object) -> Filler:
    """A template: strings are plain text, (kind, producer) tuples are labelled slots."""

    def fill(sentence: Sentence, ctx: Context) -> None:
        for part in parts:
            if isinstance(part, str):
                sentence.add(part)
            else:
                kind: str = part[0]  # type: ignore[index]
                produce: Callable[[Context], str] = part[1]  # type: ignore[index]
                sentence.add(produce(ctx), kind)

    return fill


def full_name(ctx: Context) -> str:
    return f"{ctx.first} {ctx.last}"


def street(ctx: Context) -> str:
    flat = f"Flat {ctx.rng.randint(1, 40)}, " if ctx.rng.random() < 0.25 else ""
    return f"{flat}{ctx.rng.randint(1, 240)} {ctx.rng.choice(STREETS)}"


def account(ctx: Context) -> str:
    return ctx.ids.digits(8)


P = "PERSON"
A = "STREET_ADDRESS"
TEMPLATES: dict[str, Filler] = {
    "intro": _t("Hello, my name is ", (P, full_name), " and I need help with my council tax."),
    "nino": _t("My National Insurance number is ", ("UK_NINO", lambda c: c.ids.nino()), "."),
    "nino-bare": _t(
        "I've been sanctioned again, NI ", ("UK_NINO", lambda c: c.ids.nino()), " why?"
    ),
    "nhs": _t(
        "My NHS number is ", ("UK_NHS", lambda c: c.ids.nhs()), ", can you check my referral?"
    ),
    "nhs-son": _t(
        "my son's nhs no. ", ("UK_NHS", lambda c: c.ids.nhs()), " he missed his appointment"
    ),
    "address": _t(
        "I live at ",
        (A, street),
        ", ",
        ("UK_POSTCODE", lambda c: c.ids.postcode()),
        " and the bins were not collected.",
    ),
    "address-full": _t(
        "Please send the form to ",
        (P, full_name),
        ", ",
        (A, street),
        ", ",
        ("UK_POSTCODE", lambda c: c.ids.postcode()),
        ".",
    ),
    "phone": _t("You can call me on ", ("PHONE_NUMBER", lambda c: c.ids.phone()), " after 5pm."),
    "phone-text": _t("text me ", ("PHONE_NUMBER", lambda c: c.ids.phone()), " pls"),
    "email": _t(
        "Email me at ",
        (
            "EMAIL_ADDRESS",
            lambda c: f"{c.first.lower()}.{c.last.lower().replace(chr(39), '')}@example.co.uk",
        ),
        " about my housing application.",
    ),
    "card": _t(
        "I paid with my card ",
        ("CREDIT_CARD", lambda c: c.ids.card()),
        " but the parking permit never came.",
    ),
    "bank": _t(
        "Please pay the refund to sort code ",
        ("UK_BANK_ACCOUNT", lambda c: c.ids.sort_code()),
        " account number ",
        ("UK_BANK_ACCOUNT", account),
        ".",
    ),
    "bank-short": _t(
        "bank details ",
        ("UK_BANK_ACCOUNT", lambda c: c.ids.sort_code() + " " + account(c)),
        " for the grant",
    ),
    "iban": _t("My IBAN is ", ("IBAN_CODE", lambda c: c.ids.iban()), " for the overseas pension."),
    "passport": _t(
        "My passport number is ", ("UK_PASSPORT", lambda c: c.ids.digits(9)), " for the ID check."
    ),
    "licence": _t(
        "Driving licence ",
        ("UK_DRIVING_LICENCE", lambda c: c.ids.licence(c.last, c.born)),
        " was sent with my blue badge form.",
    ),
    "vehicle": _t(
        "I got a PCN for my car ",
        ("UK_VEHICLE_REGISTRATION", lambda c: c.ids.vehicle()),
        " outside the school.",
    ),
    "vehicle-reg": _t("The reg is ", ("UK_VEHICLE_REGISTRATION", lambda c: c.ids.vehicle()), "."),
    "utr": _t("My UTR is ", ("UK_UTR", lambda c: c.ids.digits(10)), " and HMRC sent a penalty."),
    "dob": _t(
        "I was born on ", ("DATE_OF_BIRTH", lambda c: c.ids.date(c.born)), " so am I eligible?"
    ),
    "dob-form": _t(
        "Name: ",
        (P, full_name),
        ", date of birth ",
        ("DATE_OF_BIRTH", lambda c: c.ids.date(c.born)),
        ".",
    ),
    "ip": _t("The site blocked my IP address ", ("IP_ADDRESS", lambda c: c.ids.ip()), " today."),
    "neighbour": _t("My neighbour ", (P, full_name), " keeps parking across my drive."),
    "honorific": _t("I spoke to Mrs ", (P, lambda c: c.last), " at the housing office last week."),
    "signoff": _t("Thanks for your help. Regards, ", (P, full_name)),
    "landlord": _t("My landlord ", (P, full_name), " has not fixed the damp at ", (A, street), "."),
    "mixed": _t(
        "I'm ",
        (P, full_name),
        ", NI ",
        ("UK_NINO", lambda c: c.ids.nino()),
        ", phone ",
        ("PHONE_NUMBER", lambda c: c.ids.phone()),
        ".",
    ),
    "bare-name": _t((P, full_name), " has not had a reply about the housing repair."),
    "bare-name-mid": _t("Please could the team update ", (P, full_name), " about the appeal?"),
    "carer": _t(
        "I care for my mother ", (P, full_name), " and want to apply for Carer's Allowance."
    ),
}


def near_miss(ctx: Context) -> str:
    rng = ctx.rng
    choice = rng.randrange(10)
    if choice == 0:
        return f"My reference is {ctx.ids.nhs(valid=False)}, is my claim being processed?"
    if choice == 1:
        return rng.choice(
            [
                "Do I need to fill in an SA100 this year?",
                "My P60 shows the wrong pay.",
                "Where do I send my P45 and SA302?",
            ]
        )
    if choice == 2:
        return "My landlord served a section 21 notice, what are my rights under section 8?"
    if choice == 3:
        pounds, pence, owed = rng.randint(10, 4000), rng.randint(0, 99), rng.randint(1, 900)
        return f"I paid £{pounds:,}.{pence:02d} last month and still owe £{owed}."
    if choice == 4:
        day, month = rng.randint(1, 28), rng.randint(1, 12)
        return f"The payment was due on {day:02d}/{month:02d}/2025 but came late."
    if choice == 5:
        return f"My case reference is HB-{rng.randint(2019, 2025)}-{ctx.ids.digits(6)}, any update?"
    if choice == 6:
        return f"I rang {rng.choice(COUNCIL_NUMBERS)} for an hour and nobody answered."
    if choice == 7:
        return rng.choice(
            [
                "Is Universal Credit affected by Council Tax Reduction?",
                "Will the Housing Benefit team call me back?",
                "Can I get a Blue Badge for my mum?",
                "Grace period for the Winter Fuel Payment?",
            ]
        )
    if choice == 8:
        return f"My council tax band is D and the bill for {rng.randint(2020, 2025)} is wrong."
    return f"It took {rng.randint(2, 12)} weeks and {rng.randint(2, 9)} phone calls to get a reply."


def generate(count: int = 2400, seed: int = 7, near_miss_share: float = 0.2) -> list[Sentence]:
    rng = random.Random(seed)
    ids = Identifiers(rng)
    names = list(TEMPLATES)
    out: list[Sentence] = []
    for index in range(count):
        origin = rng.choice(list(NAMES))
        firsts, lasts = NAMES[origin]
        ctx = Context(
            rng,
            ids,
            rng.choice(firsts),
            rng.choice(lasts),
            origin,
            (rng.randint(1, 28), rng.randint(1, 12), rng.randint(1940, 2006)),
        )
        sentence = Sentence(origin=origin)
        if rng.random() < near_miss_share:
            sentence.template = NEAR_MISS_LABEL
            sentence.add(near_miss(ctx))
        else:
            sentence.template = names[index % len(names)]
            TEMPLATES[sentence.template](sentence, ctx)
        out.append(sentence)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for sentence in generate(args.count, args.seed):
        print(
            json.dumps(
                {
                    "text": sentence.text,
                    "spans": sentence.spans,
                    "template": sentence.template,
                    "origin": sentence.origin,
                },
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
