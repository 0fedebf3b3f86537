"""Crisis and handover rules in the languages civicdesk answers in besides English and Welsh.

Each row is a sentence a citizen might write in Polish, Romanian, Spanish, Arabic or Urdu and
the rule it must meet. Someone writing "chcę się zabić" must see the crisis help lines at once,
as "I want to kill myself" does. The near misses ("how do I kill the rats in my garden?", "how
do I make a complaint?") must meet no rule. The rows go through the built-in rule book, and a
row per language and category goes through the whole pipeline of an assistant configured to
serve these languages (a model provider that translates; it is never called for these).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from civicdesk.assistant.messages import load_catalogues
from civicdesk.assistant.routing import load_rules
from civicdesk.assistant.service import Assistant
from civicdesk.assistant.stages.compose import Compose
from civicdesk.domain.inquiry import Outcome
from civicdesk.settings import Settings
from llm.openai_wire import FakeOpenAI

CATALOGUES = load_catalogues()

# (language, sentence, rule)
CRISIS = [
    # --- Polish
    ("pl", "Nie daję już rady, chcę się zabić.", "self_harm"),
    ("pl", "Chce sie zabic, nie wiem co robic", "self_harm"),
    ("pl", "Chyba się zabiję, jeśli mnie eksmitują.", "self_harm"),
    ("pl", "Mam myśli samobójcze od kilku tygodni i nie wiem, do kogo się zwrócić.", "self_harm"),
    ("pl", "Myślę o tym, żeby odebrać sobie życie.", "self_harm"),
    ("pl", "Chcę skończyć ze sobą, nie mam już siły.", "self_harm"),
    ("pl", "Nie chcę już żyć, wszystko straciłem.", "self_harm"),
    ("pl", "Nie chce mi się żyć po tym, jak straciłam mieszkanie.", "self_harm"),
    ("pl", "Chcę umrzeć, nikt mi nie pomaga.", "self_harm"),
    ("pl", "Tnę się od miesięcy i nikt o tym nie wie.", "self_harm"),
    ("pl", "Mój mąż mnie bije, kiedy wraca pijany do domu.", "domestic_abuse"),
    ("pl", "Partner znowu mnie pobił i nie mam dokąd pójść.", "domestic_abuse"),
    ("pl", "Maz grozi, ze mnie zabije, jesli odejde", "domestic_abuse"),
    ("pl", "Boję się mojego partnera, nie mogę spać w nocy.", "domestic_abuse"),
    ("pl", "Boję się wrócić do domu, co mam zrobić?", "domestic_abuse"),
    ("pl", "Potrzebuję pomocy, w naszym domu jest przemoc domowa.", "domestic_abuse"),
    ("pl", "Dziecko sąsiadów jest bite prawie codziennie, słychać krzyki.", "child_at_risk"),
    ("pl", "Sąsiad bije swoje dzieci, co mam zrobić?", "child_at_risk"),
    ("pl", "Myślę, że dziecko z naszego bloku jest zaniedbywane.", "child_at_risk"),
    ("pl", "Dzieci z mieszkania obok są w niebezpieczeństwie.", "child_at_risk"),
    ("pl", "Matka zostawia małe dzieci same w domu na całą noc.", "child_at_risk"),
    # --- Romanian
    ("ro", "Nu mai pot, vreau să mă sinucid.", "self_harm"),
    ("ro", "Ma gandesc sa ma omor, nu mai am pentru ce trai.", "self_harm"),
    ("ro", "Am gânduri de sinucidere de câteva săptămâni.", "self_harm"),
    ("ro", "Nu mai vreau să trăiesc după ce mi-am pierdut locuința.", "self_harm"),
    ("ro", "Vreau să-mi iau viața.", "self_harm"),
    ("ro", "M-am gândit să-mi pun capăt zilelor.", "self_harm"),
    ("ro", "Vreau să mor, nu mai suport.", "self_harm"),
    ("ro", "Mă tai pe brațe când sunt stresată.", "self_harm"),
    ("ro", "Soțul meu mă bate când bea.", "domestic_abuse"),
    ("ro", "Partenerul meu m-a lovit aseară și nu știu ce să fac.", "domestic_abuse"),
    ("ro", "Mi-e frică de fostul meu soț, mă urmărește peste tot.", "domestic_abuse"),
    ("ro", "Mi-e teamă să merg acasă.", "domestic_abuse"),
    ("ro", "Sunt victima violenţei domestice şi am nevoie de ajutor.", "domestic_abuse"),
    ("ro", "Copilul vecinilor este bătut în fiecare seară.", "child_at_risk"),
    ("ro", "Cred că fetița de la etajul doi este neglijată.", "child_at_risk"),
    ("ro", "Vecinul își bate copilul, se aud țipete.", "child_at_risk"),
    ("ro", "Copiii sunt lăsați singuri acasă zile întregi.", "child_at_risk"),
    ("ro", "Vreau să raportez un abuz asupra unui copil.", "child_at_risk"),
    # --- Spanish
    ("es", "No puedo más con esta situación, quiero matarme y no sé qué hacer.", "self_harm"),
    ("es", "No puedo más, quiero matarme.", "self_harm"),
    ("es", "Me voy a matar si me echan de casa.", "self_harm"),
    ("es", "He pensado en quitarme la vida.", "self_harm"),
    ("es", "Quiero acabar con mi vida.", "self_harm"),
    ("es", "Ya no quiero vivir, nada tiene sentido.", "self_harm"),
    ("es", "Quiero morirme, estoy muy sola.", "self_harm"),
    ("es", "Tengo pensamientos suicidas desde hace meses.", "self_harm"),
    ("es", "A veces pienso en hacerme daño.", "self_harm"),
    ("es", "Me corto los brazos cuando estoy mal.", "self_harm"),
    ("es", "Mi marido me pega cuando bebe y no sé a quién pedir ayuda.", "domestic_abuse"),
    ("es", "Mi marido me pega cuando bebe.", "domestic_abuse"),
    ("es", "Mi pareja me amenaza y me controla el móvil.", "domestic_abuse"),
    ("es", "Tengo miedo de mi pareja y no sé a dónde ir.", "domestic_abuse"),
    ("es", "Me da miedo volver a casa.", "domestic_abuse"),
    ("es", "Soy víctima de violencia de género.", "domestic_abuse"),
    ("es", "El niño de mis vecinos está siendo maltratado.", "child_at_risk"),
    ("es", "Creo que mi vecina pega a su hijo todos los días.", "child_at_risk"),
    ("es", "Los niños del piso de arriba están solos en casa toda la noche.", "child_at_risk"),
    ("es", "Hay un bebé en peligro en el edificio de al lado.", "child_at_risk"),
    ("es", "Quiero denunciar un caso de maltrato infantil.", "child_at_risk"),
    # --- Arabic
    ("ar", "أفكر في الانتحار منذ أسابيع", "self_harm"),
    ("ar", "أريد أن أقتل نفسي، لم أعد أحتمل", "self_harm"),
    ("ar", "لا أريد أن أعيش بعد الآن", "self_harm"),
    ("ar", "ما بدي عيش، تعبت من كل شي", "self_harm"),
    ("ar", "أريد أن أموت، لا أحد يساعدني", "self_harm"),
    ("ar", "سأنهي حياتي إذا طردوني من البيت", "self_harm"),
    ("ar", "أؤذي نفسي كل يوم ولا أعرف ماذا أفعل", "self_harm"),
    ("ar", "زوجي يضربني عندما يغضب", "domestic_abuse"),
    ("ar", "شريكي يهددني بالقتل", "domestic_abuse"),
    ("ar", "أنا خائفة من زوجي ولا أستطيع النوم", "domestic_abuse"),
    ("ar", "أخاف العودة إلى البيت", "domestic_abuse"),
    ("ar", "أعاني من العنف الأسري وأحتاج مساعدة", "domestic_abuse"),
    ("ar", "طفل جيراننا يتعرض للضرب كل يوم", "child_at_risk"),
    ("ar", "أعتقد أن الأطفال في الشقة المجاورة في خطر", "child_at_risk"),
    ("ar", "جاري يضرب ابنه بشدة", "child_at_risk"),
    ("ar", "أريد الإبلاغ عن إساءة معاملة الأطفال", "child_at_risk"),
    # --- Urdu (and Urdu in Latin letters)
    ("ur", "میں خودکشی کرنا چاہتا ہوں", "self_harm"),
    ("ur", "میں خود کو مار دینا چاہتی ہوں", "self_harm"),
    ("ur", "میں اب جینا نہیں چاہتا", "self_harm"),
    ("ur", "میں مرنا چاہتی ہوں، کوئی میری مدد نہیں کرتا", "self_harm"),
    ("ur", "میں اپنی جان لے لوں گا", "self_harm"),
    ("ur", "میں خود کو نقصان پہنچاتی ہوں", "self_harm"),
    ("ur", "main khudkushi karna chahta hoon", "self_harm"),
    ("ur", "میرا شوہر مجھے مارتا ہے", "domestic_abuse"),
    ("ur", "میرا شوہر مجھے روز دھمکیاں دیتا ہے", "domestic_abuse"),
    ("ur", "میرا شوہر روز مارتا پیٹتا ہے", "domestic_abuse"),
    ("ur", "مجھے اپنے شوہر سے ڈر لگتا ہے", "domestic_abuse"),
    ("ur", "میں گھریلو تشدد کا شکار ہوں", "domestic_abuse"),
    ("ur", "پڑوس میں ایک بچے کو روز مارا جاتا ہے", "child_at_risk"),
    ("ur", "بچے کے ساتھ زیادتی ہو رہی ہے", "child_at_risk"),
    ("ur", "ساتھ والے گھر میں بچے خطرے میں ہیں", "child_at_risk"),
    ("ur", "وہ اپنے بچوں کو اکیلا چھوڑ دیتی ہے", "child_at_risk"),
]

HANDOVER = [
    # --- Polish
    ("pl", "Chcę porozmawiać z człowiekiem, a nie z botem.", "asks_for_person"),
    ("pl", "Czy mogę rozmawiać z prawdziwą osobą?", "asks_for_person"),
    ("pl", "Proszę połączyć mnie z konsultantem.", "asks_for_person"),
    ("pl", "Zadzwońcie do mnie jutro rano.", "asks_for_person"),
    ("pl", "Chcę złożyć skargę na pracownika urzędu.", "complaint"),
    ("pl", "Chciałabym złożyć formalną skargę.", "complaint"),
    ("pl", "Składam skargę na brak odbioru śmieci.", "complaint"),
    ("pl", "Jaki jest status mojego wniosku o zasiłek mieszkaniowy?", "own_case"),
    ("pl", "Co się dzieje z moją sprawą? Czekam od marca.", "own_case"),
    ("pl", "Czy mój wniosek został już rozpatrzony?", "own_case"),
    ("pl", "Na jakim etapie jest mój wniosek o miejsce w szkole?", "own_case"),
    ("pl", "Nie dostałem jeszcze odpowiedzi w sprawie naprawy.", "own_case"),
    # --- Romanian
    ("ro", "Vreau să vorbesc cu o persoană, nu cu un robot.", "asks_for_person"),
    ("ro", "Pot vorbi cu cineva de la primărie?", "asks_for_person"),
    ("ro", "Sunați-mă, vă rog, mâine dimineață.", "asks_for_person"),
    ("ro", "Vreau să fac o plângere împotriva unui angajat.", "complaint"),
    ("ro", "Aș dori să depun o reclamație oficială.", "complaint"),
    ("ro", "Care este stadiul cererii mele de ajutor pentru locuință?", "own_case"),
    ("ro", "Ce se întâmplă cu dosarul meu? Am depus actele în martie.", "own_case"),
    ("ro", "A fost aprobată cererea mea pentru loc de parcare?", "own_case"),
    ("ro", "Unde este plata mea?", "own_case"),
    # --- Spanish
    ("es", "Quiero hablar con una persona, no con una máquina, por favor.", "asks_for_person"),
    ("es", "¿Puedo hablar con alguien del ayuntamiento?", "asks_for_person"),
    ("es", "Necesito hablar con un ser humano.", "asks_for_person"),
    ("es", "Llámenme por favor, es urgente.", "asks_for_person"),
    ("es", "Quiero poner una queja sobre el servicio de basuras.", "complaint"),
    ("es", "Quisiera presentar una reclamación formal.", "complaint"),
    ("es", "Quiero quejarme del trato que recibí.", "complaint"),
    ("es", "¿Cuál es el estado de mi solicitud de vivienda?", "own_case"),
    ("es", "¿Cómo va mi expediente? Lo presenté hace dos meses.", "own_case"),
    ("es", "¿Han aprobado ya mi solicitud de plaza escolar?", "own_case"),
    ("es", "No he recibido ninguna respuesta a mi carta.", "own_case"),
    # --- Arabic
    ("ar", "أريد التحدث مع شخص حقيقي من فضلك", "asks_for_person"),
    ("ar", "أبي أكلم موظف", "asks_for_person"),
    ("ar", "هل يمكنني التحدث إلى أحد الموظفين؟", "asks_for_person"),
    ("ar", "أريد تقديم شكوى ضد موظف في المجلس", "complaint"),
    ("ar", "أود أن أقدم شكوى رسمية", "complaint"),
    ("ar", "ما هي حالة طلبي للحصول على سكن؟", "own_case"),
    ("ar", "أين وصل طلبي؟ قدمته قبل شهرين", "own_case"),
    ("ar", "هل تمت الموافقة على طلبي؟", "own_case"),
    # --- Urdu
    ("ur", "میں کسی انسان سے بات کرنا چاہتا ہوں", "asks_for_person"),
    ("ur", "کیا میں کسی اصلی شخص سے بات کر سکتی ہوں؟", "asks_for_person"),
    ("ur", "براہ کرم مجھے فون کریں", "asks_for_person"),
    ("ur", "میں شکایت درج کروانا چاہتا ہوں", "complaint"),
    ("ur", "مجھے کونسل کے خلاف شکایت کرنی ہے", "complaint"),
    ("ur", "میری درخواست کی صورتحال کیا ہے؟", "own_case"),
    ("ur", "میرے کیس کا اسٹیٹس کیا ہے؟", "own_case"),
    ("ur", "کیا میری درخواست منظور ہو گئی ہے؟", "own_case"),
]

# Ordinary questions that share words with the rules: no rule at all.
NEAR_MISSES = [
    ("pl", "Jak zabić szczury w ogrodzie?"),
    ("pl", "Czy da się zabić chwasty octem?"),
    ("pl", "Jak zabija się osy w gnieździe pod dachem?"),
    ("pl", "Na tym oblodzonym chodniku można się zabić, kiedy go posypiecie solą?"),
    ("pl", "Mój mąż uderzył samochodem w słupek, kto za to zapłaci?"),
    ("pl", "Moje dziecko jest chore, czy mogę przełożyć wizytę w bibliotece?"),
    ("pl", "Jak złożyć skargę na hałasujących sąsiadów?"),
    ("pl", "Czy muszę złożyć skargę na piśmie?"),
    ("ro", "Cum pot omorî șobolanii din grădină?"),
    ("ro", "Mă bate gândul să mă mut în alt cartier."),
    ("ro", "Soțul meu a lovit o groapă cu mașina, cine plătește roata?"),
    ("ro", "Cum pot depune o plângere la primărie?"),
    ("ro", "Copiii mei merg la școala din cartier, cum îi înscriu?"),
    ("es", "¿Cómo mato las hormigas?"),
    ("es", "¿Cómo puedo matar las ratas del jardín?"),
    ("es", "¿Cómo presento una queja al ayuntamiento?"),
    ("es", "¿Qué necesito para presentar una queja?"),
    ("es", "¿Mi hijo puede ir solo al colegio en autobús?"),
    ("es", "El sol me pega toda la tarde en el piso, ¿hay ayudas para toldos?"),
    ("ar", "كيف أقتل الصراصير في المطبخ؟"),
    ("ar", "كيف أتخلص من الفئران في الحديقة؟"),
    ("ar", "كيف أقدم شكوى إلى المجلس؟"),
    ("ar", "هل يمكن التواصل مع المجلس يوم الأحد؟"),
    ("ar", "كيف أسجل ابني في المدرسة؟"),
    ("ar", "ابني يضرب الكرة في الحديقة، هل يسمح بذلك؟"),
    ("ar", "ربما أريد أن أعيش في مكان أقرب إلى عملي، هل يمكنني طلب نقل؟"),
    ("ar", "كيف أتواصل بخصوص البطاقة الشخصية؟"),
    ("ur", "میں اپنے باغ میں چوہوں کو کیسے ماروں؟"),
    ("ur", "شکایت کیسے درج کروں؟"),
    ("ur", "میں اپنے بچے کا اسکول میں داخلہ کیسے کرواؤں؟"),
    ("ur", "میری درخواست کیسے جمع کروں؟"),
    ("ur", "مجھے ماریہ نے بتایا کہ کونسل ٹیکس کم ہو سکتا ہے"),
    ("ur", "میرا شوہر چوہے مارتا ہے لیکن وہ واپس آ جاتے ہیں"),
    ("ur", "مجھے پیٹ میں درد ہے، ڈاکٹر سے ملاقات کیسے کروں؟"),
]

# The same words as typed on other keyboards or without diacritics.
WRITTEN_OTHERWISE = [
    ("pl", "chce sie zabic", "self_harm"),
    ("pl", "NIE CHCĘ JUŻ ŻYĆ", "self_harm"),
    ("ro", "vreau sa-mi iau viata", "self_harm"),
    ("ro", "Soţul meu mă bate", "domestic_abuse"),  # t and s with a cedilla
    ("es", "quiero hablar con una persona, no con un robot", "asks_for_person"),
    ("es", "Mi marido me pego anoche", "domestic_abuse"),
    ("ar", "ﺃﺭﻳﺪ ﺃﻥ ﺃﻣﻮﺕ", "self_harm"),  # Arabic presentation forms, folded by NFKC
    ("ar", "اريد ان اقتل نفسي", "self_harm"),  # alef without hamza
    ("ur", "ميں خودكشي كرنا چاهتا هوں", "self_harm"),  # Arabic yeh, kaf and heh
    ("ur", "ميرا شوهر مجهے مارتا ہے", "domestic_abuse"),
]


def ids(rows: list[tuple[str, ...]]) -> list[str]:
    return [f"{row[0]}-{index}" for index, row in enumerate(rows)]


@pytest.mark.parametrize(("language", "text", "rule"), CRISIS, ids=ids(CRISIS))
def test_crisis_phrases_meet_their_rule(language: str, text: str, rule: str) -> None:
    match = load_rules().first_match(text)
    assert match is not None, text
    assert (match.action.value, match.name) == ("crisis", rule)


@pytest.mark.parametrize(("language", "text", "rule"), HANDOVER, ids=ids(HANDOVER))
def test_handover_phrases_meet_their_rule(language: str, text: str, rule: str) -> None:
    match = load_rules().first_match(text)
    assert match is not None, text
    assert (match.action.value, match.name) == ("handover", rule)


@pytest.mark.parametrize(("language", "text"), NEAR_MISSES, ids=ids(NEAR_MISSES))
def test_near_misses_meet_no_rule(language: str, text: str) -> None:
    match = load_rules().first_match(text)
    assert match is None, (match.action.value, match.name)


@pytest.mark.parametrize(
    ("language", "text", "rule"), WRITTEN_OTHERWISE, ids=ids(WRITTEN_OTHERWISE)
)
def test_phrases_match_without_diacritics_and_on_other_keyboards(
    language: str, text: str, rule: str
) -> None:
    match = load_rules().first_match(text)
    assert match is not None and match.name == rule, text


def test_every_language_has_every_category() -> None:
    covered = {(language, rule) for language, _, rule in [*CRISIS, *HANDOVER]}
    for language in ("pl", "ro", "es", "ar", "ur"):
        for rule in ("self_harm", "domestic_abuse", "child_at_risk"):
            assert (language, rule) in covered
        for rule in ("asks_for_person", "complaint", "own_case"):
            assert (language, rule) in covered


# --- through the pipeline ---------------------------------------------------------------------

HELP_LINE = {
    "self_harm": "116 123",
    "domestic_abuse": "0808 2000 247",
    "child_at_risk": "0808 800 5000",
}


def first_per_rule(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The first sentence per language and rule, in its own script (not Urdu in Latin letters).

    Each is long enough for the language to be detected, so the citizen's message is in it.
    """
    chosen: dict[tuple[str, str], tuple[str, str, str]] = {}
    for language, text, rule in rows:
        if not (language == "ur" and text.isascii()):
            chosen.setdefault((language, rule), (language, text, rule))
    return list(chosen.values())


@pytest.fixture(scope="module")
def serving(council: tuple[Settings, Engine]) -> Iterator[tuple[Assistant, FakeOpenAI]]:
    """An assistant that serves other languages through a model provider, and its server."""
    settings, engine = council
    with FakeOpenAI() as server:
        local = settings.model_copy(
            update={
                "llm_provider": "openai",
                "llm_model": "fake-model",
                "llm_base_url": server.base_url,
                "llm_max_retries": 0,
                "llm_timeout_seconds": 2.0,
            }
        )
        assistant = Assistant.from_settings(local, engine)
        yield assistant, server
        compose = next(s for s in assistant.pipeline.stages if isinstance(s, Compose))
        compose.generator.client.close()  # type: ignore[union-attr]


CRISIS_ASKED = first_per_rule(CRISIS)
HANDOVER_ASKED = first_per_rule(HANDOVER)


@pytest.mark.parametrize(
    ("language", "text", "rule"),
    CRISIS_ASKED,
    ids=[f"{language}-{rule}" for language, _, rule in CRISIS_ASKED],
)
def test_a_crisis_in_another_language_signposts_help_at_once_and_hands_over(
    serving: tuple[Assistant, FakeOpenAI], language: str, text: str, rule: str
) -> None:
    assistant, server = serving
    reply = assistant.ask(text)
    assert reply.outcome is Outcome.SIGNPOSTED
    assert reply.reasons == (f"crisis:{rule}",)
    phones = [line.phone for line in reply.help_lines]
    assert "999" in phones and HELP_LINE[rule] in phones
    assert reply.message_language == language
    assert reply.answer == CATALOGUES.message(
        "crisis", language, organisation="Aberwen", reference=reply.reference
    )
    status = assistant.status(reply.reference)
    assert status is not None and status.needs_person
    assert server.completions() == []  # never sent to the model


@pytest.mark.parametrize(
    ("language", "text", "rule"),
    HANDOVER_ASKED,
    ids=[f"{language}-{rule}" for language, _, rule in HANDOVER_ASKED],
)
def test_a_request_for_a_person_in_another_language_is_handed_over(
    serving: tuple[Assistant, FakeOpenAI], language: str, text: str, rule: str
) -> None:
    assistant, server = serving
    reply = assistant.ask(text)
    assert reply.outcome is Outcome.HANDED_OVER
    assert reply.reasons == (f"handover:{rule}",)
    assert reply.message_language == language
    assert reply.answer == CATALOGUES.message(
        "handed_over", language, organisation="Aberwen", reference=reply.reference
    )
    assert server.completions() == []


# --- the default configuration, and Arabic as often typed -------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [(language, text) for language, text, rule in CRISIS_ASKED if rule == "self_harm"],
    ids=[language for language, _, rule in CRISIS_ASKED if rule == "self_harm"],
)
def test_in_the_default_configuration_a_crisis_in_another_language_is_signposted(
    assistant: Assistant, language: str, text: str
) -> None:
    reply = assistant.ask(text)
    assert reply.outcome is Outcome.SIGNPOSTED, reply.reasons


@pytest.mark.parametrize(
    "text", ["أُرِيدُ أَنْ أَمُوتَ", "أفكر في الانتحـــار"], ids=["harakat", "tatweel"]
)
def test_arabic_written_with_vowel_marks_or_tatweel_meets_the_crisis_rule(text: str) -> None:
    match = load_rules().first_match(text)
    assert match is not None and match.name == "self_harm"
