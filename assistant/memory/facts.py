"""Durable facts about the user, pulled out of one spoken utterance by rules (no model, no network).

`extract` turns an utterance such as "my sister's name is anna and she lives in boston" into
pinned profile notes, each with a stable `slot`: a later fact with the same slot supersedes the
earlier one ("I moved to Pasadena" replaces "I live in Silver Lake"; "I don't like coffee
anymore" replaces "I love coffee", both being `pref.coffee`). `parse_command` recognises the
spoken memory commands "what do you remember about me" and "forget what I said about X".

The rules favour precision over recall: questions, hypotheticals ("if I lived in Paris"), hedges
("I think", "maybe") and reported speech ("my friend said she loves jazz") yield nothing, and a
value must look like what the slot expects (a name must look like a name, an age like an age).
Input may be Whisper text without punctuation or capitals; names and places are capitalised here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# -- public API ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One pinned note about the user; a newer fact with the same slot supersedes the older one."""

    slot: str
    text: str


@dataclass(frozen=True)
class MemoryCommand:
    """A spoken request about the memory itself: recall everything, or forget a topic."""

    action: str  # "recall_all" | "forget"
    topic: str  # for "forget": what to forget as spoken ("my sister"), else ""


def extract(text: str) -> list[Fact]:
    """The durable facts the user states about themselves in one utterance, in spoken order.

    When the utterance states two facts with the same slot, the later one wins.
    """
    text = _normalise(text)
    if not text:
        return []
    trust_case = _case_is_meaningful(text)
    found: dict[str, Fact] = {}
    for sentence in _sentences(text):
        for fact in _sentence_facts(sentence, trust_case):
            found.pop(fact.slot, None)
            found[fact.slot] = fact
    return list(found.values())


def parse_command(text: str) -> MemoryCommand | None:
    """The memory command in an utterance ("what do you know about me", "forget my X"), or None."""
    s = _normalise(text).lower()
    s = re.split(r"[.!?;]+\s|,\s*(?!please|now|okay|ok|thanks)", s + " ")[0]
    s = re.sub(r"[.!?,;:]+", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = _strip_repeatedly(s, _CMD_LEAD)
    s = _strip_repeatedly(s, _CMD_TRAIL, at_end=True)
    if not s:
        return None
    if _RECALL_ALL.fullmatch(s):
        return MemoryCommand("recall_all", "")
    if _FORGET_ALL.fullmatch(s):
        return MemoryCommand("forget", "everything")
    for pattern in _FORGET:
        m = pattern.fullmatch(s)
        if m:
            topic = _strip_repeatedly(m.group("topic").strip(), _CMD_TRAIL, at_end=True)
            if topic in ("me", "myself", "about me", "everything about me"):
                return MemoryCommand("forget", "everything")
            if not topic or topic in _PRONOUNS or topic.split()[0] in _CMD_BAD_TOPIC_START:
                return None
            return MemoryCommand("forget", topic)
    return None


# -- memory commands -----------------------------------------------------------------------------

_CMD_LEAD = re.compile(
    r"^(?:hey|hi|ok|okay|so|um+|uh+|well|and|now|assistant|please|pls|kindly|just|actually|"
    r"can you|could you|would you|will you|i want you to|i'd like you to|i need you to|"
    r"go ahead and)\s+"
)
_CMD_TRAIL = re.compile(
    r"\s+(?:please|for me|now|right now|from your memory|from memory|okay|ok|thanks|thank you|"
    r"so far|then|again)$"
)
_ME = r"(?:me|myself)"
_RECALL_ALL = re.compile(
    r"(?:tell me )?(?:what|what all|what else|everything|all) (?:do|did|can) you (?:remember|know|"
    rf"recall)(?: about {_ME})?(?: so far)?"
    r"|(?:tell me |list |show me )?(?:what|everything|all) you (?:remember|know|recall)"
    rf"(?: about {_ME})?"
    rf"|what (?:have|did) i (?:told|tell) you(?: about {_ME})?(?: so far)?"
    rf"|what do you have (?:on|about) {_ME}"
    rf"|what have you (?:learned|learnt|remembered) about {_ME}"
)
_FORGET_VERB = r"(?:forget|delete|erase|remove|wipe|clear|drop|unlearn)"
_FORGET_ALL = re.compile(
    rf"{_FORGET_VERB} (?:everything|all)(?: that)? (?:you know|you remember|you've learned|"
    rf"you have learned|i've told you|i have told you|i told you)(?: about {_ME})?"
    rf"|{_FORGET_VERB} (?:everything|all) about {_ME}|{_FORGET_VERB} all your memories(?: of me)?"
)
_FORGET = [
    re.compile(
        rf"{_FORGET_VERB} (?:what|everything|anything|all|whatever) (?:that )?i (?:said|told you|"
        r"mentioned|say|tell you)(?: to you)? (?:about|regarding|on) (?P<topic>.+)"
    ),
    re.compile(
        rf"{_FORGET_VERB} (?:what|everything|anything|all|whatever) (?:that )?you (?:know|remember"
        r"|learned|have|heard|stored|saved|noted)(?: about| regarding| on)? (?P<topic>.+)"
    ),
    re.compile(rf"{_FORGET_VERB} (?:all |everything )?about (?P<topic>.+)"),
    re.compile(r"forget (?:the fact )?that (?:i |i'm |i am )?(?P<topic>.+)"),
    re.compile(rf"{_FORGET_VERB} (?P<topic>(?:my|our) .+)"),
]
_CMD_BAD_TOPIC_START = frozenset({"it", "that", "this", "them", "him", "her", "you", "what"})

# -- text normalisation --------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u201c": '"', "\u201d": '"'})


def _normalise(text: str) -> str:
    text = text.translate(_APOSTROPHES).replace('"', " ")
    text = re.sub(r"\s+", " ", text).strip()
    return text


def _case_is_meaningful(text: str) -> bool:
    """Whether capitals in the text tell names apart.

    False for all-lower-case, ALL-CAPS and Every Word Capitalised text.
    """
    words = [
        w
        for w in re.findall(r"[A-Za-z][A-Za-z']*", text)
        if w.lower() not in ("i", "i'm", "i've", "i'll", "i'd", "im")
    ]
    if not words or not any(c.islower() for c in text):
        return False
    caps = [w for w in words if w[0].isupper()]
    if not caps:
        return False
    return len(words) < 4 or len(caps) < len(words)


_ABBREV = re.compile(
    r"(?:\b(?:st|dr|mr|mrs|ms|mt|ft|jr|sr|prof|no|vs|etc|e\.g|i\.e)|\b[A-Z])\.$", re.I
)


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", text)
    out: list[str] = []
    for part in parts:
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return [p for p in (x.strip() for x in out) if p]


# -- word lists ----------------------------------------------------------------------------------


def _w(text: str) -> list[str]:
    """The whitespace-separated words of a word list written as one string."""
    return text.split()


_DAYS = _w("monday tuesday wednesday thursday friday saturday sunday")
_MONTHS = _w(
    """
        january february march april may june july august september october november december
        """
)
_MONTH_ABBR = _w("jan feb mar apr jun jul aug sep sept oct nov dec")
_HOLIDAYS = _w("christmas easter thanksgiving halloween hanukkah diwali eid ramadan")
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        _w(
            """
            zero one two three four five six seven eight nine ten eleven twelve thirteen
            fourteen fifteen sixteen seventeen eighteen nineteen
            """
        )
    )
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip

# Common first names, for telling "i'm sam" from "i'm tired" when the text has no capitals.
# Words that are also ordinary English words (will, may, hope, mark, grace ...) are left out.
_NAMES = frozenset(
    _w(
        """
        aaron abby abigail adam adrian aiden alan albert alex alexa alexander alexandra alexis
        alice alicia allison amanda amber amelia amy ana andrea andrew andy angela anna anne
        annie anthony antonio arthur ashley audrey ava barbara ben benjamin beth betty beverly
        bob bobby brad brandon brenda brian brittany bruce bryan caleb cameron camila carl carla
        carlos carol caroline carolyn catherine charles charlie charlotte chloe chris christian
        christina christine christopher cindy claire clara cody colin connor craig cynthia
        daniel danielle danny david deborah debra denise dennis diana diane donald donna doris
        dorothy dylan edward elena eli elijah elizabeth ella ellie emily emma eric erica erin
        ethan eugene eva evelyn fatima fiona frances frank fred gabriel gary george gerald
        gloria greg gregory hailey hannah harold harry heather helen henry isaac isabel isabella
        jack jacob jake james jamie jane janet janice jared jasmine jason javier jeff jeffrey
        jennifer jenny jeremy jerry jesse jessica jim jimmy joan joe joel john johnny jon
        jonathan jose joseph joshua josh judith judy julia julie justin karen kate katherine
        kathleen kathryn katie kayla keith kelly kenneth kevin kim kimberly kyle larry laura
        lauren leah leo leon liam lily linda lisa logan lois lori louis lucas lucy luis luke
        madison maria marie marilyn mario martha martin mary mason matt matthew max megan
        melissa mia michael michelle mike miguel mohammed muhammad molly monica nancy natalie
        nathan nicholas nick nicole noah nora olivia oliver oscar pamela patricia patrick paul
        paula peter philip priya rachel rahul ralph raymond rebecca richard rick robert robin
        roger ronald ruby russell ruth ryan sam samantha samuel sandra sara sarah scott sean
        sebastian sharon sofia sophia sophie stephanie stephen steve steven susan teresa theresa
        thomas tim timothy tom tommy tony tyler valerie vanessa victor victoria vincent walter
        wayne william zoe zachary
        """
    )
)
# Words that follow "I'm" / "my sister is" but are never names.
_NOT_NAMES = frozenset(
    _w(
        """
        a an the not no so very really just here there back home done ready sorry fine good
        great ok okay alright tired hungry thirsty bored busy happy sad angry mad upset sick ill
        well better worse cold hot warm sleepy awake excited nervous scared afraid worried
        stressed sure certain glad lost late early free new old young alone single married
        divorced engaged pregnant retired unemployed vegan vegetarian allergic going trying
        looking thinking working leaving coming getting doing having being feeling gonna in on
        at from with into out off up down over about like also still always never too all both
        only gay straight bi trans right wrong serious kidding joking fine curious confused
        interested impressed proud ashamed embarrassed grateful thankful lucky blessed broke
        rich poor tall short fat thin slim big small sober drunk high fun funny boring smart
        stupid dumb crazy weird normal human mom dad mum mother father sister brother wife
        husband son daughter friend boss teacher doctor nurse student yes yeah nope hi hello hey
        bye thanks thank please what who where when why how which that this these those it its
        his her their our your my me you he she they we them him us i nobody somebody someone
        anyone everyone everybody nothing something anything everything one two three four five
        six seven eight nine ten myself yourself called named american british english irish
        scottish welsh french german italian spanish portuguese canadian australian mexican
        chinese japanese korean indian pakistani russian polish dutch swedish norwegian danish
        finnish greek turkish brazilian argentinian african european asian jewish christian
        muslim catholic protestant buddhist hindu atheist sikh mormon black white latino latina
        hispanic
        """
    )
    + _DAYS
    + _MONTHS
    + _HOLIDAYS
)
_PRONOUNS = frozenset(
    _w(
        """
        it that this these those them him her he she they you your yours me myself us i we one
        what which who whom how why when where whatever something anything nothing everything
        someone anyone everyone everybody somebody nobody people stuff things
        """
    )
)
_SMALL_WORDS = frozenset(
    _w("of the a an and on upon in de la le du da del des von van am by at to for")
)
_ACRONYMS = {
    "uk": "UK", "us": "US", "usa": "USA", "nyc": "NYC", "la": "LA", "sf": "SF", "dc": "DC",
    "uae": "UAE", "eu": "EU", "nz": "NZ", "ibm": "IBM", "nasa": "NASA", "bbc": "BBC",
    "nhs": "NHS", "ups": "UPS", "hp": "HP", "mit": "MIT", "ucla": "UCLA", "aws": "AWS",
}  # fmt: skip
_GENERIC_PLACES = frozenset(
    _w(
        """
        city town village countryside country suburbs suburb middle centre center north south
        east west area same flat apartment house building hospital school university college
        bank office company store shop library government army navy military factory restaurant
        cafe bakery farm hotel firm startup agency council church clinic lab laboratory
        warehouse mall supermarket studio station local big small little tiny old new nice quiet
        busy
        """
    )
)
_PLACE_STOP = frozenset(
    _w(
        """
        here there home nowhere somewhere anywhere everywhere it that this fear hope denial
        peace poverty sin luxury style comfort misery work school
        """
    )
)
_PLACE_STOP_PHRASES = (
    "the moment", "the past", "the present", "the now", "a dream", "my head", "my own world",
    "my own head", "the future", "the area", "around here", "the same place", "hell", "heaven",
    "the shadows", "my dreams", "a bubble",
)  # fmt: skip

# Relations: spoken word -> (slot key, gender "f"/"m"/"", several: the user often has several)
_RELATIONS: dict[str, tuple[str, str, bool]] = {}


def _rel(words: str, key: str, gender: str = "", several: bool = False) -> None:
    for w in words.split():
        _RELATIONS[w.replace("_", " ")] = (key, gender, several)


_rel("wife", "wife", "f")
_rel("husband hubby", "husband", "m")
_rel("partner spouse", "partner")
_rel("boyfriend bf", "boyfriend", "m")
_rel("girlfriend gf", "girlfriend", "f")
_rel("fiance fiancé fiancee fiancée", "fiance")
_rel("mom mum mother mommy mummy mama momma ma", "mother", "f")
_rel("dad father daddy papa pops", "father", "m")
_rel("stepmom stepmum stepmother", "stepmother", "f")
_rel("stepdad stepfather", "stepfather", "m")
_rel("sister sis", "sister", "f")
_rel("brother bro", "brother", "m")
_rel("stepsister", "stepsister", "f")
_rel("stepbrother", "stepbrother", "m")
_rel("son", "son", "m")
_rel("daughter", "daughter", "f")
_rel("stepson", "stepson", "m")
_rel("stepdaughter", "stepdaughter", "f")
_rel("grandma grandmother granny nana nan gran", "grandmother", "f")
_rel("grandpa grandfather granddad grandad gramps", "grandfather", "m")
_rel("boss manager supervisor", "boss")
_rel("best_friend bff", "best_friend")
_rel("therapist", "therapist")
_rel("doctor gp", "doctor")
_rel("dentist", "dentist")
_rel("roommate flatmate housemate", "roommate")
_rel("baby", "baby")
_rel("mother-in-law", "mother_in_law", "f")
_rel("father-in-law", "father_in_law", "m")
_rel("sister-in-law", "sister_in_law", "f")
_rel("brother-in-law", "brother_in_law", "m")
_rel("friend pal buddy mate", "friend", "", True)
_rel("colleague coworker co-worker workmate", "colleague", "", True)
_rel("cousin", "cousin", "", True)
_rel("aunt auntie aunty", "aunt", "f", True)
_rel("uncle", "uncle", "m", True)
_rel("niece", "niece", "f", True)
_rel("nephew", "nephew", "m", True)
_rel("neighbor neighbour", "neighbor", "", True)
_rel("classmate teammate", "classmate", "", True)
_rel("grandson", "grandson", "m", True)
_rel("granddaughter", "granddaughter", "f", True)

_PETS = {
    "dog": "dog", "doggy": "dog", "doggo": "dog", "puppy": "dog", "pup": "dog", "cat": "cat",
    "kitty": "cat", "kitten": "cat", "hamster": "hamster", "rabbit": "rabbit", "bunny": "rabbit",
    "parrot": "parrot", "bird": "bird", "budgie": "budgie", "fish": "fish", "goldfish": "fish",
    "horse": "horse", "pony": "pony", "guinea pig": "guinea_pig", "turtle": "turtle",
    "tortoise": "tortoise", "snake": "snake", "lizard": "lizard", "gecko": "gecko",
    "ferret": "ferret", "gerbil": "gerbil", "rat": "rat", "mouse": "mouse", "hedgehog": "hedgehog",
    "chinchilla": "chinchilla", "iguana": "iguana", "cockatiel": "cockatiel",
}  # fmt: skip
_PET_PLURALS = {"puppies": "puppy", "kitties": "kitty", "fish": "fish", "mice": "mouse",
                "guinea pigs": "guinea pig", "ponies": "pony", "bunnies": "bunny"}  # fmt: skip

_MODIFIERS = {
    "older": "older", "elder": "older", "eldest": "older", "oldest": "older", "big": "older",
    "little": "younger", "younger": "younger", "youngest": "younger", "baby": "younger",
    "kid": "younger", "twin": "twin", "middle": "middle", "step": "step", "half": "half",
    "other": "other", "late": "late", "ex": "ex", "ex-": "ex", "new": "", "current": "",
    "dear": "", "lovely": "",
}  # fmt: skip

_JOBS = frozenset(
    _w(
        """
        nurse doctor teacher engineer developer programmer coder designer lawyer attorney
        solicitor barrister accountant architect artist writer author journalist reporter editor
        chef cook baker barista bartender waiter waitress cashier student pharmacist dentist
        surgeon physician therapist psychologist psychiatrist scientist researcher professor
        lecturer tutor librarian electrician plumber carpenter mechanic technician pilot driver
        firefighter fireman paramedic officer cop policeman policewoman detective soldier marine
        farmer gardener landscaper photographer musician singer actor actress dancer painter
        consultant analyst manager director executive salesman saleswoman salesperson realtor
        entrepreneur receptionist secretary clerk janitor cleaner housekeeper nanny babysitter
        caregiver carer veterinarian vet midwife translator interpreter economist banker broker
        trader administrator coordinator supervisor instructor coach trainer counselor
        counsellor builder welder miner fisherman sailor housewife homemaker househusband intern
        apprentice freelancer contractor youtuber streamer influencer blogger podcaster comedian
        composer producer filmmaker animator illustrator tailor hairdresser barber stylist
        beautician optician optometrist chiropractor physiotherapist physio paralegal judge
        politician diplomat priest pastor rabbi imam nun monk principal dean mathematician
        physicist chemist biologist geologist statistician sysadmin ceo cto cfo coo founder
        cofounder co-founder auditor bookkeeper surveyor courier postman mailman butcher florist
        jeweler jeweller guard lifeguard zookeeper ranger astronaut archaeologist historian
        curator programmer pediatrician paediatrician radiologist anesthesiologist dietitian
        nutritionist sommelier pharmacologist machinist electrician roofer painter decorator
        plasterer bricklayer locksmith trucker mover dispatcher dispatcher paralegal recruiter
        copywriter marketer strategist planner estimator underwriter actuary teller custodian
        firefighter sheriff deputy ranger warden chaplain missionary tattooist
        """
    )
)
_JOB_PHRASES = (
    "social worker", "care worker", "construction worker", "factory worker", "office worker",
    "aid worker", "health worker", "healthcare worker", "support worker", "youth worker",
    "police officer", "stay at home mom", "stay at home mum", "stay at home dad",
    "stay-at-home mom", "stay-at-home mum", "stay-at-home dad", "real estate agent",
    "travel agent", "flight attendant", "personal trainer", "teaching assistant",
    "dental hygienist", "dental assistant", "medical assistant", "research assistant",
    "personal assistant", "executive assistant", "sales rep", "sales representative",
    "web developer", "software developer", "data scientist", "delivery driver", "bus driver",
    "truck driver", "taxi driver", "uber driver", "security guard", "civil servant",
    "business owner", "shop owner", "small business owner", "graduate student", "grad student",
    "phd student", "medical student", "law student", "project manager", "product manager",
)  # fmt: skip
_JOB_SUFFIXES = ("ologist", "ician", "ographer", "iatrist")
_JOB_BAD_MODIFIERS = frozenset(
    _w(
        """
        good bad great terrible awful decent better best excellent amazing horrible lousy poor
        fast slow careful safe quick huge big little bit total real natural born massive proper
        lazy hard bit lot
        """
    )
)

_EVENTS = _w(
    """
    appointment meeting exam test interview date party wedding flight trip surgery operation
    class lesson game match concert recital deadline presentation checkup check-up vacation
    holiday conference gig show performance audition hearing shift reunion funeral graduation
    ceremony procedure scan race marathon tournament competition recital rehearsal practice
    training session call visit visa job dinner lunch breakfast
    """
)

_DIETS = ("vegetarian", "vegan", "pescatarian", "pescetarian", "flexitarian")

# -- regex building blocks -----------------------------------------------------------------------

_IM = r"(?:i'm|i am|im)"
_IVE = r"(?:i've|i have|ive)"
_DONT = r"(?:don't|do not|dont)"
_CANT = r"(?:can't|cannot|can not|cant)"
_ADV = (
    r"(?:(?:really|also|actually|absolutely|totally|just|now|currently|still|genuinely|truly|"
    r"honestly|definitely|seriously|kind of|kinda|sort of|sorta|so|very|quite|pretty much|mostly|"
    r"mainly|originally|recently|finally|officially|already|literally|secretly|always|usually|"
    r"generally|absolutely|deeply|madly|utterly|simply|proudly|happily|both|too) )*"
)
_NUM_WORD = r"(?:\d{1,3}|(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?)|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|one|two|three|four|five|six|seven|eight|nine|(?:a |one )?hundred(?: and (?:one|two|three|four|five|six|seven|eight|nine|ten))?)"  # noqa: E501
_QUANT = (
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,2}|a couple of|a few|"
    r"several|some|many|lots of|a lot of|another|two little|a little|a new|a baby|a pet)"
)

_DAY = r"(?:" + "|".join(_DAYS) + r")s?"
_MONTH = r"(?:" + "|".join(_MONTHS + _MONTH_ABBR) + r")"
_ORD = (
    r"(?:\d{1,2}(?:st|nd|rd|th)?|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
    r"tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|"
    r"nineteenth|twentieth|twenty[- ]\w+|thirtieth|thirty[- ]first)"
)
_PART = r"(?: (?:morning|afternoon|evening|night))?"
_PERIOD = r"(?:week|weekend|month|year|summer|winter|spring|fall|autumn|semester|term)"
_COUNT = r"(?:a|one|two|three|four|five|six|seven|eight|nine|ten|\d+|a few|a couple of|a couple)"
_TIME_ONE = (
    r"(?:today|tonight|tomorrow" + _PART + r"|the day after tomorrow|later today|"
    r"this (?:morning|afternoon|evening|" + _PERIOD + r"|" + _DAY + r")|"
    r"next " + r"(?:" + _PERIOD + r"|" + _DAY + r"|" + _MONTH + r")|"
    r"on (?:the )?" + _ORD + r"(?: of " + _MONTH + r")?|"
    r"on " + _DAY + _PART + r"|on " + _MONTH + r" " + _ORD + r"|" + _DAY + _PART + r"|"
    r"in " + _MONTH + r"|in (?:the )?(?:summer|winter|spring|fall|autumn)|"
    r"in " + _COUNT + r" (?:days?|weeks?|months?|years?)|in a (?:week|month|year|fortnight)|"
    r"(?:at|over|on) the weekend|over the (?:summer|holidays|break)|"
    r"(?:for|at|over|on|around) (?:" + "|".join(_HOLIDAYS) + r")|"
    r"" + _MONTH + r" " + _ORD + r"|the " + _ORD + r"(?: of " + _MONTH + r")?|"
    r"at \d{1,2}(?::\d\d)? ?(?:am|pm|a\.m\.|p\.m\.|o'clock)?|at noon|at midnight|"
    r"(?:later )?this (?:week|month)|end of (?:the )?(?:week|month|year)|"
    r"at the end of (?:the|this|next) (?:week|month|year))"
)
_TIME = rf"(?P<time>{_TIME_ONE}(?:,? {_TIME_ONE})?)"

# Leading words that carry no meaning for the fact ("so yeah, by the way, i live in boston").
_LEAD = re.compile(
    r"^(?:and|but|so|well|oh|ah|um+|uh+|er+m*|hmm+|hm+|yeah|yes|yep|yup|no|nope|okay|ok|alright|"
    r"right|actually|anyway|anyways|also|plus|now|then|by the way|btw|fyi|just so you know|"
    r"just fyi|for the record|for your information|you know what|you know|i mean|hey|hi|hello|"
    r"oh and|and also|like|basically|honestly|to be honest|tbh|funnily enough|as i said|"
    r"like i said|as i told you|as you know|just to let you know|let me tell you|fun fact|"
    r"these days|nowadays|lately|recently|currently|at the moment|right now|"
    r"(?:can|could|would|will) you (?:please )?(?:remember|note|make a note|keep in mind)"
    r"(?: that)?|(?:please )?(?:remember|note|make a note|keep in mind|don't forget|dont forget)"
    r"(?: that)?|i want you to (?:know|remember)(?: that)?|"
    r"i'd like you to (?:know|remember)(?: that)?|you should know(?: that)?|"
    r"i should (?:mention|say|tell you)(?: that)?|i (?:told|tell) you(?: that)?|"
    r"i(?:'ve| have) (?:told|mentioned)(?: to)?(?: you)?(?: that)?|"
    r"good (?:morning|evening|afternoon)|how are you(?: doing)?(?: today)?|how's it going|"
    r"assistant|buddy|mate|dude|please)"
    r"(?=[\s,.!:;-]|$)[\s,.!:;-]*"
)
_TRAIL = re.compile(
    r"[\s,]*(?:and stuff|and things|and everything|and all that|and so on|and that|"
    r"or something(?: like that)?|or whatever|or so|right now|now|these days|nowadays|"
    r"at the moment|currently|at present|for now|from now on|anymore|any more|no more|as well|"
    r"too|also|a lot|so much|very much|a bunch|really|actually|i guess|i think|i suppose|"
    r"you know|by the way|btw|lol|ha(?:ha)+|though|then|ok|okay|yeah|man|dude|honestly|"
    r"to be honest|tbh|in general|generally|please|thanks|thank you|again|just|for real|for sure|"
    r"i promise|if that helps|if you must know|lately|recently|already|as of now|as of today|"
    r"remember that|remember|ever|of course|obviously|haha|hehe|anyway|anyways|"
    r"full stop|period|at all|these days though|nowadays though|by now)[\s.,!?;:]*$"
)
# Where a value stops: the start of another clause or an explanation.
_BREAK = re.compile(
    r"\s*(?:[,;:]\s*(?:which|who|where|and|but|so|because|since|though|although|as|it's|its|"
    r"that's|i|i'm|we|she|he|they|my)\b|"
    r"\s(?:because|cause|'cause|cuz|since|but|although|though|whereas|which|who|whom|whose|"
    r"where|when|whenever|while|until|unless|if|so that|so i|so we|especially|except|"
    r"even though|as long as|ever since|that's|thats|it's|its|"
    r"and (?:i|i'm|im|i've|my|we|we're|she|he|they|it|it's|that|you|also|now|then|so)|"
    r"(?:i|i'm|im|i've|i'd|i'll|we|we're|she|he|she's|he's|they|they're|you|it's))(?![\w']))",
    re.I,
)
_CLAUSE_SPLIT = re.compile(
    r"(?:,|;|\s+-\s+)\s*(?=(?:and |but |so |also |now |then |actually |anyway )*"
    r"(?:i|i'm|im|i've|ive|i'll|i'd|my|we|we're|she|he|they|she's|he's|they're|her|his|its|"
    r"their|our|it|it's|you|there|also|now|but|and|so|anyway|actually|well|oh|btw|by the way|"
    r"what|where|who|when|why|how|do|does|did|can|could|would|will|is|are)\b)"
    r"|\s+(?:and|but|so|plus|though|cause|because|'cause)\s+"
    r"(?=(?:also |now |then |actually |recently |lately |these days )*"
    r"(?:i|i'm|im|i've|ive|i'll|i'd|my|we|we're|she|he|they|she's|he's|they're|her|his|its|"
    r"their|our|it|it's|you|there)\b)",
    re.I,
)
# "so my name is sam i live in boston": a bare "i" starts a new clause, unless a hedge or a
# reporting verb governs it ("i think i'm allergic", "she said i love jazz").
_BARE_I = re.compile(r"\s+(?=(?:i|i'm|im|i've|i'll)\s)", re.I)
_BARE_I_GOVERNORS = frozenset(
    _w(
        """
        think guess suppose believe hope wish know feel said say says told tell that if when
        because cause whether where what how why until unless while as and but so since reckon
        thought dreamt dreamed pretend imagine bet swear heard mean sure doubt once before after
        though thing things place stuff one way time reason
        """
    )
)


def _split_clauses(sentence: str) -> list[str]:
    out: list[str] = []
    for piece in _CLAUSE_SPLIT.split(sentence):
        if not piece or not piece.strip():
            continue
        start = 0
        for m in _BARE_I.finditer(piece):
            before = piece[start : m.start()].split()
            if before and before[-1].lower().strip(",.") not in _BARE_I_GOVERNORS:
                out.append(piece[start : m.start()])
                start = m.end()
        out.append(piece[start:])
    return out


_HYPOTHETICAL = re.compile(
    r"\b(?:if|unless|suppose|supposing|imagine|imagining|pretend|pretending|hypothetically|"
    r"wish|whether|assuming|let's say|lets say|what if|dream|dreams|dreamt|dreamed|dreaming|"
    r"fantasy|fantasize|fantasise|in another life|one day|someday|some day|would've|could've)\b",
    re.I,
)
_SUBORDINATE_START = re.compile(
    r"^(?:when|whenever|once|after|before|as soon as|until|till|because|since|although|though|"
    r"while|unless)\b",
    re.I,
)
_HEDGE = re.compile(
    r"\b(?:maybe|perhaps|probably|possibly|might|may be|could|would|should|i'd|id rather|"
    r"i wanna|want to|wants to|wanted to|hope|hoping|supposed to|thinking of|thinking about|"
    r"considering|not sure|unsure|i guess|i think|i believe|i reckon|i suppose|i feel like|"
    r"seems|apparently|allegedly|kidding|joking|jk|pretend|sarcasm|used to)\b",
    re.I,
)
_REPORTING = re.compile(
    r"\b(?:said|says|say|told|tells|tell|thinks|think|thought|believes|believe|claims|claimed|"
    r"claim|reckons|reckon|asked|asks|mentioned|mentions|according to|heard|hears|wrote|writes|"
    r"texted|joked|pretended|pretends|insists|insisted|swears|swore|guess|guesses|suppose|"
    r"supposes|figures|figured|assumes|assumed|knows)\b",
    re.I,
)
_QUESTION_START = re.compile(
    r"^(?:what|what's|whats|where|where's|wheres|who|who's|whos|whose|when|when's|why|how|"
    r"how's|hows|which|do|does|did|don't you|doesn't|didn't|can|can't|could|couldn't|would|"
    r"wouldn't|will|won't|should|shall|is|isn't|are|aren't|am|was|were|have you|has|may|"
    r"tell me|remind me|guess|any idea|i wonder|i was wondering|i'm wondering|wonder|"
    r"remember (?:what|where|who|when|how|my)|do you|you remember|you know my)\b",
    re.I,
)
_TAG_QUESTION = re.compile(
    r"\b(?:right|correct|isn't it|don't i|aren't i|am i not|didn't i|haven't i|remember)"
    r"\s*[?]?\s*$",
    re.I,
)

# -- sentence and clause processing --------------------------------------------------------------


@dataclass
class _Who:
    """The person or pet last introduced in this sentence, for "she lives in boston"."""

    kind: str  # "person" | "pet"
    key: str  # slot key, e.g. "sister", "friend.tom", "dog"
    phrase: str  # as spoken, e.g. "sister", "friend Tom", "dog"
    gender: str
    several: bool = False
    named: bool = False


@dataclass
class _State:
    """What extraction of one sentence carries from clause to clause."""

    trust_case: bool
    who: _Who | None = None
    greeted: bool = False
    facts: list[Fact] = field(default_factory=list)

    def add(self, slot: str, text: str) -> None:
        text = re.sub(r"\s+", " ", text).strip()
        text = text[0].upper() + text[1:]
        if not text.endswith((".", "!", "?")):
            text += "."
        self.facts.append(Fact(slot, text))


def _sentence_facts(sentence: str, trust_case: bool) -> list[Fact]:
    body = sentence.strip()
    lowered = body.lower()
    remember_request = re.match(
        r"^(?:please |hey |ok |okay )*(?:can|could|would|will) you (?:please )?(?:remember|note|"
        r"make a note|keep in mind) (?:that )",
        lowered,
    )
    if body.endswith("?") and not remember_request:
        return []
    if _HYPOTHETICAL.search(body):
        return []
    state = _State(trust_case)
    clauses = _split_clauses(body)
    first = True
    for raw in clauses:
        clause = raw.strip(" ,;:-")
        clause, greeted = _strip_lead(clause)
        state.greeted = state.greeted or greeted
        clause = clause.rstrip(" .!?,;:")
        if not clause:
            continue
        if first and _SUBORDINATE_START.match(clause):
            return state.facts
        first_clause, first = first, False
        if _QUESTION_START.match(clause):
            if first_clause:
                return []  # "do you know where i live", "did i say i'm from ..."
            state.who = None
            continue
        if not remember_request and _TAG_QUESTION.search(clause):
            state.who = None
            continue
        reporting = _REPORTING.search(clause)
        if reporting and not _first_person_report(clause, reporting):
            break
        if _HEDGE.search(clause):
            state.who = None
            continue
        _clause_facts(clause, state)
    return state.facts


def _first_person_report(clause: str, m: re.Match[str]) -> bool:
    """`As I said` / `I told you` introduce the user's own statement; other reports do not."""
    before = clause[: m.start()].lower().split()
    return (
        bool(before)
        and before[-1] in ("i", "i've", "ive")
        and m.group(0).lower()
        in (
            "said",
            "told",
            "tell",
            "say",
            "mentioned",
        )
    )


def _strip_lead(clause: str) -> tuple[str, bool]:
    greeted = False
    while True:
        m = _LEAD.match(clause)
        if not m or not m.group(0):
            return clause, greeted
        if m.group(0).strip(" ,.!:;-").lower() in ("hi", "hello", "hey"):
            greeted = True
        clause = clause[m.end() :]


def _strip_repeatedly(s: str, pattern: re.Pattern[str], at_end: bool = False) -> str:
    while True:
        m = pattern.search(s)
        if not m or not m.group(0):
            return s
        s = s[: m.start()] if at_end else s[m.end() :]


_CLAUSE_TRAIL = re.compile(
    r"[\s,]+(?:now|right now|these days|nowadays|at the moment|currently|by the way|btw|too|"
    r"as well|though|then|lol|haha|ok|okay|yeah|honestly|actually|really|for now|"
    r"i guess|you know|just so you know|fyi|remember)$",
    re.I,
)


def _clause_facts(clause: str, state: _State) -> None:
    clause = _strip_repeatedly(clause, _CLAUSE_TRAIL, at_end=True)
    low = clause.lower()
    for handler in _HANDLERS:
        if handler(clause, low, state):
            break
    # "I'm visiting my sister Anna on Friday": the appositive name still counts.
    _appositive_names(clause, state)


# -- value cleaning ------------------------------------------------------------------------------


def _cut(value: str, extra: str = "") -> str:
    """The value up to where another clause or an explanation starts, without trailing filler."""
    m = _BREAK.search(value)
    if m:
        value = value[: m.start()]
    if extra:
        m = re.search(extra, value, re.I)
        if m:
            value = value[: m.start()]
    value = _strip_repeatedly(value.strip(), _TRAIL, at_end=True)
    return value.strip(" .,!?;:'-")


def _dangling(value: str) -> bool:
    last = value.lower().split()[-1] if value.split() else ""
    return last in _SMALL_WORDS or last in ("and", "or", "with", "my", "your", "some", "very")


def _has_pronoun(value: str) -> bool:
    return any(w.strip(".,'") in _PRONOUNS for w in value.lower().split())


def _third_person(value: str) -> str:
    """`my kids` -> `their kids`: the note is about "the user"."""
    swaps = {"my": "their", "mine": "theirs", "myself": "themselves", "me": "them", "our": "their"}
    return " ".join(swaps.get(w.lower(), w) for w in value.split())


def _key(value: str) -> str:
    """A stable slot fragment: lower-case words joined by underscores, articles dropped."""
    words = re.findall(r"[a-z0-9]+", value.lower().replace("'s", ""))
    while words and words[0] in ("the", "a", "an", "some", "my", "their", "our", "to"):
        words = words[1:]
    return "_".join(words)


def _cap_word(word: str) -> str:
    low = word.lower()
    if low in _ACRONYMS:
        return _ACRONYMS[low]
    parts = re.split(r"([-'])", word)
    out = []
    for i, p in enumerate(parts):
        if p in ("-", "'"):
            out.append(p)
        elif i >= 2 and parts[i - 1] == "'" and len(p) <= 2:
            out.append(p.lower())  # "o'brien" -> "O'Brien" but "sam's" stays
        else:
            out.append(p[:1].upper() + p[1:])
    return "".join(out)


def _cap_name(value: str, trust_case: bool) -> str:
    if trust_case and any(c.isupper() for c in value):
        return " ".join(w if w[:1].isupper() else _cap_word(w) for w in value.split())
    return " ".join(_cap_word(w.lower()) for w in value.split())


def _cap_place(value: str, trust_case: bool) -> str:
    """`silver lake` -> `Silver Lake`, `a small town in ohio` -> `a small town in Ohio`."""
    words = value.split()
    if trust_case and any(c.isupper() for c in value):
        return " ".join(_ACRONYMS.get(w.lower(), w) if w.isalpha() else w for w in words)
    low = [w.lower() for w in words]
    if low[0] in ("a", "an", "my", "our", "this", "that", "some"):
        # A description; only the part after its last preposition is a proper place.
        preps = ("in", "near", "outside", "of")
        idx = max((i for i, w in enumerate(low) if w in preps), default=-1)
        head = words[: idx + 1]
        tail = [_cap_word(w) if w.lower() not in _SMALL_WORDS else w for w in words[idx + 1 :]]
        return " ".join([*head, *tail]) if idx >= 0 else value
    generic = low[0] == "the" and all(x in _GENERIC_PLACES for x in low[1:])
    out = []
    for i, w in enumerate(low):
        if i == 0 and w == "the":
            out.append("the")
        elif (w in _SMALL_WORDS and i > 0) or generic:
            out.append(w)
        else:
            out.append(_cap_word(w))
    return " ".join(out)


def _cap_time(value: str) -> str:
    special = set(_DAYS) | set(_MONTHS) | set(_MONTH_ABBR) | set(_HOLIDAYS)
    out = []
    for w in value.split():
        base = w.lower().rstrip("s") if w.lower().rstrip("s") in special else w.lower()
        out.append(_cap_word(w.lower()) if base in special else w)
    return " ".join(out)


def _name_like(token: str, trust_case: bool, loose: bool = False) -> bool:
    """Whether a word can be a person's name; `loose` when the context says it is a name."""
    t = token.strip(".,!?")
    low = t.lower()
    if not re.fullmatch(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]", t) or len(t) < 2:
        return False
    if low in _NOT_NAMES or low in _PRONOUNS or low in _SMALL_WORDS or low in _RELATIONS:
        return False
    if loose:
        return True
    if low in _NAMES:
        return True
    return trust_case and t[0].isupper() and not t.isupper()


def _take_name(value: str, trust_case: bool, loose: bool, max_words: int = 3) -> str | None:
    """The leading name in `value` ("anna and she..." -> "Anna"), capitalised, or None."""
    words = value.split()
    taken: list[str] = []
    for w in words[:max_words]:
        bare = w.rstrip(".,!?;:")
        if bare.lower().endswith("'s"):
            break
        if not _name_like(bare, trust_case, loose=loose):
            break
        if taken and not (loose or (trust_case and bare[:1].isupper())):
            break
        taken.append(bare)
        if bare != w:
            break
    if not taken:
        return None
    return _cap_name(" ".join(taken), trust_case)


_AFTER_NAME = frozenset(_w("from and but by btw nice here in at of i i'm im so"))


def _whole_name(value: str, name: str | None) -> bool:
    """Whether `name` is all of `value`, or all of it before a harmless "from ..."/"and ..."."""
    if not name:
        return False
    words = value.split()
    n = len(name.split())
    return len(words) == n or words[n].lower().strip(",") in _AFTER_NAME


_WHEN_TAIL = re.compile(
    r"\s+(?:(?:last|this|next|in the) (?:week|month|year|summer|winter|spring|fall|autumn|weekend)|"
    r"(?:a (?:few|couple of) |\d+ |two |three |four |five |a |several )?(?:days?|weeks?|months?|"
    r"years?) ago|(?:back )?in (?:19|20)\d\d|(?:back )?in " + _MONTH + r"|yesterday|today|"
    r"recently|lately|a while (?:ago|back)|ages ago|for good|for now|over the summer|"
    r"for (?:a |two |three |\d+ |a few |many |several |the past |the last )?(?:years?|months?|"
    r"weeks?|days?|ages|a while|decades?))$",
    re.I,
)


def _without_when(value: str) -> str:
    return _strip_repeatedly(value, _WHEN_TAIL, at_end=True).strip()


def _place(value: str, state: _State) -> str | None:
    value = _cut(value, r"\s(?:with|from|for (?!good|now)|near where|where|"
                 r"and (?!tobago|herzegovina|barbuda))\b")  # fmt: skip
    value = _cut(_without_when(value))
    if not value:
        return None
    low = value.lower()
    if low.split()[0] in _PLACE_STOP or low in _PLACE_STOP_PHRASES or _dangling(value):
        return None
    if any(low.startswith(p) for p in _PLACE_STOP_PHRASES):
        return None
    if len(value.split()) > 6 or _has_pronoun(re.sub(r"\b(?:my|our)\b", "", low)):
        return None
    if re.search(r"\b(?:he|she|they|you|i|we)\b", low):
        return None
    return _third_person(_cap_place(value, state.trust_case))


# -- handlers: each returns True when the clause was understood ---------------------------------

Handler = Callable[[str, str, _State], bool]


_NOT_CALL_ME = frozenset(
    _w(
        """
        back later tomorrow when if at on in now maybe sometime tonight a an the soon again
        anytime crazy whatever old-fashioned old silly stupid names please asap
        """
    )
)


def _name(clause: str, low: str, state: _State) -> bool:
    m = re.match(
        r"^(?:my (?:full |first |real |actual )?name(?:'s| is|s)|(?:you can |please |just )?call "
        r"me|" + _IM + r" called|i go by|people call me|everyone calls me|my friends call me|"
        r"the name's|the name is|name's)\s+(?P<v>.+)$",
        low,
    )
    if m:
        value = clause[m.start("v") :]
        if re.match(r"(?:not|spelled|spelt|pronounced|actually not)\b", value, re.I):
            return True
        value = re.sub(r"^(?:actually|now|just)\s+", "", value, flags=re.I)
        value = _cut(value)
        words = value.split()
        if not words or len(words) > 3:
            return True
        if "call me" in low[:20] and words[0].lower() in _NOT_CALL_ME:
            return True
        name = _take_name(value, state.trust_case, loose=True)
        if _whole_name(value, name):
            state.add("user.name", f"The user's name is {name}")
        return True
    m = re.match(r"^my (?:last |family )name(?:'s| is|s)\s+(?P<v>.+)$", low)
    if m:
        value = _cut(clause[m.start("v") :])
        name = _take_name(value, state.trust_case, loose=True, max_words=2)
        if name and len(name.split()) == len(value.split()):
            state.add("user.surname", f"The user's last name is {name}")
        return True
    m = re.match(r"^my (?:nick ?name)(?:'s| is|s)\s+(?P<v>.+)$", low)
    if m:
        value = _cut(clause[m.start("v") :])
        name = _take_name(value, state.trust_case, loose=True, max_words=2)
        if name and len(name.split()) == len(value.split()):
            state.add("user.nickname", f"The user's nickname is {name}")
        return True
    # "I'm Sam" only when Sam clearly is a name and nothing else follows.
    head = re.sub(r",\s*(?:nice to meet you|pleased to meet you|by the way|btw|here)$", "", low)
    m = re.match(r"^(?:this is|" + _IM + r")\s+(?P<v>[a-z][a-z'-]*(?: [a-z][a-z'-]*)?)$", head)
    if m and (state.greeted or not low.startswith("this")):
        value = clause[m.start("v") : m.end("v")]
        words = value.split()
        name = _take_name(value, state.trust_case, loose=False, max_words=2)
        if name and len(name.split()) == len(words):
            state.add("user.name", f"The user's name is {name}")
            return True
    return False


def _home(clause: str, low: str, state: _State) -> bool:
    subject = r"(?:i|we|my (?:\w+ )?(?:and|&) i|me and my (?:\w+ )?\w+)"
    m = (
        re.match(
            rf"^{subject} {_ADV}(?:live|living|reside|am living|are living|'m living|'re living|"
            rf"have lived|'ve lived|'ve been living|have been living)"
            r" (?P<prep>in|at|on) (?P<v>.+)$",
            low,
        )
        or re.match(
            rf"^(?:{_IM}|we're|we are|i've been|we've been|i have been|we have been) {_ADV}"
            r"(?:living|based|residing|settled|located) (?P<prep>in|at|on) (?P<v>.+)$",
            low,
        )
        or re.match(
            rf"^(?:i've|ive|we've|i have|we have) {_ADV}(?:lived|been living) "
            r"(?P<prep>in|at) (?P<v>.+)$",
            low,
        )
    )
    if m:
        place = _place(clause[m.start("v") :], state)
        if place:
            prep = m.group("prep")
            state.add("user.home", f"The user lives {prep} {place}")
        return True
    m = re.match(
        rf"^{subject} {_ADV}(?:moved|'ve moved|have moved|relocated|'ve relocated|have relocated|"
        r"just moved|recently moved) (?:back )?(?:to|into|in) (?P<v>.+)$",
        low,
    )
    if m:
        place = _place(clause[m.start("v") :], state)
        if place:
            state.add("user.home", f"The user lives in {place}")
        return True
    m = re.match(r"^(?:my|our) (?:home|house|place|flat|apartment) is in (?P<v>.+)$", low)
    if m:
        place = _place(clause[m.start("v") :], state)
        if place:
            state.add("user.home", f"The user lives in {place}")
        return True
    m = re.match(
        rf"^(?:i|we) (?:{_DONT} live|no longer live|don't live) (?:in|at) (?P<v>.+?)"
        r"(?: (?:anymore|any more|now))+$",
        low,
    ) or re.match(r"^(?:i|we) no longer live (?:in|at) (?P<v>.+)$", low)
    if m:
        place = _place(clause[m.start("v") :], state)
        if place:
            state.add("user.home", f"The user no longer lives in {place}")
        return True
    return False


def _origin(clause: str, low: str, state: _State) -> bool:
    m = re.match(rf"^(?:{_IM} {_ADV}from|i {_ADV}come from|we're from|we are from) (?P<v>.+)$", low)
    if m:
        value = clause[m.start("v") :]
        if re.match(r"(?:work|school|the (?:office|future|past|government|team|company))\b", value,
                    re.I):  # fmt: skip
            return True
        place = _place(value, state)
        if place:
            state.add("user.origin", f"The user is from {place}")
        return True
    m = re.match(r"^my (?:home ?town|home country|hometown) is (?P<v>.+)$", low)
    if m:
        place = _place(clause[m.start("v") :], state)
        if place:
            state.add("user.origin", f"The user's hometown is {place}")
        return True
    m = re.match(rf"^i {_ADV}grew up (?:in|on) (?P<v>.+)$", low)
    if m:
        place = _place(clause[m.start("v") :], state)
        if place:
            state.add("user.grew_up", f"The user grew up in {place}")
        return True
    m = re.match(rf"^i was {_ADV}born (?P<prep>in|on) (?P<v>.+)$", low)
    if m:
        value = _cut(clause[m.start("v") :], r"\s(?:and|with|to)\b")
        date = _date(value)
        if date:
            verb = "in" if m.group("prep") == "in" else "on"
            if re.fullmatch(r"(?:19|20)\d\d", date):
                state.add("user.birth_year", f"The user was born in {date}")
            else:
                state.add("user.birthday", f"The user was born {verb} {date}")
            return True
        if m.group("prep") == "in":
            place = _place(value, state)
            if place:
                state.add("user.birthplace", f"The user was born in {place}")
        return True
    return False


def _job_phrase(np: str) -> bool:
    """Whether a noun phrase ("a software engineer") names an occupation."""
    words = np.lower().split()
    if not words or len(words) > 5:
        return False
    if any(w in _JOB_BAD_MODIFIERS for w in words[:-1]):
        return False
    joined = " ".join(words)
    if any(joined == p or joined.endswith(" " + p) for p in _JOB_PHRASES):
        return True
    head = words[-1]
    if head == "worker":
        return False
    return head in _JOBS or head.endswith(_JOB_SUFFIXES)


def _job_np(value: str) -> tuple[str, str] | None:
    """`a nurse at the general hospital` -> ("a nurse", "the general hospital")."""
    value = _cut(value)
    if _job_phrase(value):
        return value, ""
    m = re.match(r"(?P<np>.+?)(?: (?:at|for|with) (?P<emp>.+))?$", value, re.I)
    if not m:
        return None
    np = m.group("np")
    np = re.sub(
        r"\s+(?:by (?:profession|trade)|full[- ]time|part[- ]time|now)$", "", np, flags=re.I
    )
    return np, (m.group("emp") or "")


_NOT_EMPLOYERS = frozenset(
    _w(
        """
        home night nights weekends night-time myself free hours money fun now it least all food
        minimum peanuts nothing tips cash pleasure work once times
        """
    )
)
_NOT_EMPLOYER_PHRASES = ("a living", "the weekend", "the moment", "a while")


def _employer_value(value: str, state: _State) -> str | None:
    value = _cut(_without_when(_cut(value, r"\s(?:as|in|on|and|with|since)\b")))
    if not value or _dangling(value) or len(value.split()) > 6:
        return None
    low = value.lower()
    first = low.split()[0]
    if first in _NOT_EMPLOYERS or re.match(r"\d", first) or low in _NOT_EMPLOYER_PHRASES:
        return None
    if _has_pronoun(re.sub(r"\b(?:my|our)\b", "", low)):
        return None
    if low.startswith(("a ", "an ", "my ", "our ")):
        return _third_person(value)
    return _third_person(_cap_place(value, state.trust_case))


def _work(clause: str, low: str, state: _State) -> bool:
    if re.match(rf"^i {_ADV}work for myself$|^{_IM} {_ADV}self[- ]employed$", low):
        state.add("user.job", "The user is self-employed")
        return True
    m = re.match(
        rf"^(?:i {_ADV}(?:work|am working|'m working)|{_IM} {_ADV}working|i've been working|"
        r"i have been working) as (?P<v>.+)$",
        low,
    )
    if m:
        parsed = _job_np(clause[m.start("v") :])
        if parsed:
            np, emp = parsed
            job_like = _job_phrase(np) or re.match(r"(?:an?|the|one of the) \w", np, re.I)
            if job_like and not _has_pronoun(np) and len(np.split()) <= 5 and not _dangling(np):
                state.add("user.job", f"The user works as {_third_person(np)}")
                employer = _employer_value(emp, state) if emp else None
                if employer:
                    state.add("user.employer", f"The user works at {employer}")
        return True
    m = re.match(
        rf"^(?:i {_ADV}(?:work|am working|'m working|started working|started|'ve started|"
        r"just started|have started|got a job|got a new job|'ve got a new job|have a new job|"
        r"'ve got a job|have a job|have been working|'ve been working|"
        r"got hired)|" + _IM + rf" {_ADV}(?:working|employed|a (?:\w+ )?(?:at|for)|employed)|"
        r"i've been working|i have been working) (?P<prep>at|for|by|with) (?P<v>.+)$",
        low,
    )
    if m:
        employer = _employer_value(clause[m.start("v") :], state)
        if employer:
            prep = "for" if m.group("prep") in ("for", "by") else "at"
            if employer.lower() in ("myself", "themselves"):
                state.add("user.job", "The user is self-employed")
            else:
                state.add("user.employer", f"The user works {prep} {employer}")
        return True
    m = re.match(rf"^i {_ADV}work (?:from home|remotely|remote)$", low)
    if m:
        state.add("user.work_location", "The user works from home")
        return True
    m = re.match(rf"^i {_ADV}work in (?P<v>.+)$", low)
    if m:
        value = _cut(clause[m.start("v") :], r"\s(?:as|and|with|for|since)\b")
        if (
            value
            and len(value.split()) <= 4
            and not _dangling(value)
            and not _has_pronoun(value)
            and value.lower().split()[0] not in ("the", "a", "an", "shifts", "bed", "my", "pairs")
        ):
            state.add("user.work_field", f"The user works in {_third_person(value)}")
        return True
    m = re.match(
        rf"^(?:i {_ADV}(?:quit|left|lost|gave up) my job|i got (?:fired|laid off|let go|sacked)|"
        rf"{_IM} {_ADV}(?:unemployed|out of work|between jobs|jobless)"
        r"|i (?:no longer|don't|do not) (?:have a job|work)(?: anymore)?)(?P<rest>.*)$",
        low,
    )
    if m:
        rest = m.group("rest").strip()
        at = re.match(r"^(?:at|from) (?P<v>.+)$", rest)
        if at:
            employer = _employer_value(clause[len(clause) - len(rest) + 3 :].lstrip(), state)
            if employer:
                state.add("user.employer", f"The user no longer works at {employer}")
                return True
        if rest and not at:
            return True
        state.add("user.employer", "The user is currently not working")
        return True
    m = re.match(
        rf"^i (?:no longer work|{_DONT} work) (?:at|for) (?P<v>.+?)(?: (?:anymore|any more))?$", low
    )
    if m and ("anymore" in low or "any more" in low or "no longer" in low):
        employer = _employer_value(clause[m.start("v") : m.end("v")], state)
        if employer:
            state.add("user.employer", f"The user no longer works at {employer}")
        return True
    m = re.match(rf"^{_IM} {_ADV}(?P<v>retired|a retiree|a student|in between jobs)$", low)
    if m:
        v = "retired" if "retire" in m.group("v") else m.group("v")
        state.add("user.job", f"The user is {v}")
        return True
    m = re.match(rf"^{_IM} (?P<neg>not |no longer )?{_ADV}(?P<v>an? .+)$", low)
    if m:
        parsed = _job_np(clause[m.start("v") :])
        if not parsed:
            return False
        np, emp = parsed
        if not _job_phrase(np) or _has_pronoun(np):
            return False
        if m.group("neg"):
            if "anymore" in low or "any more" in low or m.group("neg").startswith("no longer"):
                state.add("user.job", f"The user is no longer {_third_person(np)}")
            return True
        state.add("user.job", f"The user is {_third_person(np)}")
        employer = _employer_value(emp, state) if emp else None
        if employer:
            state.add("user.employer", f"The user works at {employer}")
        return True
    m = re.match(rf"^(?:{_IM} {_ADV}studying|i {_ADV}study|i {_ADV}major in|{_IM} majoring in) "
                 r"(?P<v>.+)$", low)  # fmt: skip
    if m:
        value = _cut(clause[m.start("v") :], r"\s(?:at|in|for|with|and)\b")
        if (
            value
            and len(value.split()) <= 4
            and not _has_pronoun(value)
            and not _dangling(value)
            and value.lower().split()[0] not in ("for", "to", "hard", "all", "a", "the", "every")
        ):
            rest = clause[m.start("v") :]
            at = re.search(r"\bat (?P<u>.+)$", rest, re.I)
            uni = _employer_value(at.group("u"), state) if at else None
            where = f" at {uni}" if uni else ""
            state.add("user.studies", f"The user studies {value.lower()}{where}")
        return True
    return False


def _parse_number(s: str) -> int | None:
    s = s.lower().replace("-", " ").strip()
    if s.isdigit():
        return int(s)
    words = s.replace(" and ", " ").split()
    total = 0
    for w in words:
        if w in ("a", "one") and len(words) > 1 and words[-1] != w:
            total += 1 if w == "one" and "hundred" not in words else 0
            continue
        if w == "hundred":
            total = max(total, 1) * 100
        elif w in _TENS:
            total += _TENS[w]
        elif w in _NUMBER_WORDS:
            total += _NUMBER_WORDS[w]
        else:
            return None
    return total


def _age(clause: str, low: str, state: _State) -> bool:
    m = re.match(
        rf"^(?:{_IM}|i just turned|i turned|i've just turned|i have just turned)\s+"
        rf"(?P<n>{_NUM_WORD})(?P<unit> years? old| years of age| yrs old| yo| y/o)?"
        r"(?P<when> (?:today|yesterday|last (?:week|month)|this (?:week|month|year)))?$",
        low,
    )
    if not m:
        return False
    n = _parse_number(m.group("n"))
    turned = "turned" in low[:20]
    if n is None:
        return False
    if not (m.group("unit") or turned) and not 10 <= n <= 110:
        return False
    if not 1 <= n <= 120:
        return False
    state.add("user.age", f"The user is {n} years old")
    return True


def _date(value: str) -> str | None:
    """A calendar date ("march 3rd", "the 5th of may", "3/14", "1990") tidied, or None."""
    v = re.sub(r"^(?:on|in)\s+", "", value.strip(), flags=re.I)
    low = v.lower()
    if re.fullmatch(r"(?:19|20)\d\d", low):
        return low
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?", low):
        return v
    month = rf"(?:{'|'.join(_MONTHS)}|(?:{'|'.join(_MONTH_ABBR)})\.?)"
    ordinal = _ORD
    date = (
        rf"(?:(?:the )?{ordinal}(?: of)? {month}|{month}(?: the)? {ordinal}|{month})"
        r"(?:,? (?:19|20)\d\d)?"
    )
    if re.fullmatch(date, low):
        return _cap_time(v)
    return None


def _birthday(clause: str, low: str, state: _State) -> bool:
    m = re.match(r"^my (?:birthday|bday|b-day|birth date|date of birth)(?:'s| is|s| falls on)"
                 r" (?P<v>.+)$", low)  # fmt: skip
    if not m:
        return False
    value = _cut(clause[m.start("v") :], r"\s(?:and|so)\b")
    date = _date(value)
    if date:
        state.add("user.birthday", f"The user's birthday is {_date_phrase(date)}")
        return True
    t = re.fullmatch(_TIME, value.lower())
    if t:
        state.add("plan.birthday", f"The user's birthday is {_cap_time(value)}")
    return True


def _date_phrase(date: str) -> str:
    low = date.lower()
    if re.match(r"\d{1,2}[/.-]", low):
        return f"on {date}"
    if any(low == m or low.startswith(m + " 19") or low.startswith(m + ", ") for m in _MONTHS):
        return f"in {date}"
    return f"on {date}" if not low.startswith("the ") else f"on {date}"


def _pref_items(value: str) -> list[str]:
    """`jazz, blues and rock` -> three items; `rock and roll` stays one."""
    keep = (
        "rock and roll", "rock n roll", "fish and chips", "mac and cheese", "macaroni and cheese",
        "salt and pepper", "rhythm and blues", "drum and bass", "dungeons and dragons",
        "peanut butter and jelly", "bread and butter", "bed and breakfast", "cheese and crackers",
        "pride and prejudice", "law and order", "tom and jerry", "rick and morty",
        "hall and oates", "simon and garfunkel", "sweet and sour", "strawberries and cream",
        "bangers and mash", "rice and beans", "pb and j", "hip hop and rap", "arts and crafts",
        "arts & crafts", "pen and paper", "pen and paper games", "sun and sea",
    )  # fmt: skip
    low = value.lower()
    protected = value
    for i, phrase in enumerate(keep):
        idx = low.find(phrase)
        if idx >= 0:
            protected = protected[:idx] + f"\x00{i}\x00" + protected[idx + len(phrase) :]
            low = protected.lower()
    parts = re.split(r"\s*,\s*(?:and |or )?|\s+(?:and|or|&|as well as|nor)\s+", protected)
    out = []
    for p in parts:
        for i, phrase in enumerate(keep):
            p = p.replace(f"\x00{i}\x00", value[value.lower().find(phrase) :][: len(phrase)])
        if p.strip():
            out.append(p.strip())
    return out


_LIKE_VERBS = {
    "love": "loves", "like": "likes", "enjoy": "enjoys", "adore": "adores", "dig": "likes",
    "prefer": "prefers", "hate": "hates", "dislike": "dislikes", "detest": "detests",
    "despise": "despises", "loathe": "loathes",
}  # fmt: skip
_NEGATIVE = ("hates", "dislikes", "detests", "despises", "loathes")


def _pref(clause: str, low: str, state: _State) -> bool:
    anymore = bool(re.search(r"\b(?:anymore|any more|no more)\b", low))
    patterns: list[tuple[str, str]] = [
        (rf"^(?:i|we) {_ADV}(?:do )?{_ADV}(?P<verb>love|like|enjoy|adore|dig|hate|dislike|detest|"
         rf"despise|loathe) (?P<v>.+)$", ""),
        (rf"^i {_ADV}{_DONT} {_ADV}(?P<verb>like|enjoy|care for|eat|drink) (?P<v>.+)$", "neg"),
        (rf"^i {_ADV}(?:no longer|don't really|do not really) (?P<verb>like|enjoy|love) "
         r"(?P<v>.+)$", "nolonger"),
        (rf"^i {_ADV}{_CANT} {_ADV}(?P<verb>stand|bear|stomach) (?P<v>.+)$", "cant"),
        (rf"^{_IM} {_ADV}(?P<verb>into|obsessed with|crazy about|passionate about|fond of|"
         r"a (?:big |huge |massive |great )?fan of|addicted to|keen on|mad about) (?P<v>.+)$",
         "am"),
        (rf"^{_IM} (?:not|no longer) {_ADV}(?P<verb>into|a (?:big |huge )?fan of|fond of|keen on"
         r"|crazy about) (?P<v>.+)$", "amnot"),
        (rf"^i(?:'ve| have) {_ADV}(?P<verb>gone off|gotten into|got into|fallen in love with|"
         r"grown to love|started to like|started liking) (?P<v>.+)$", "have"),
    ]  # fmt: skip
    if re.match(
        rf"^i {_ADV}(?:{_DONT}|no longer) drink(?: alcohol| booze)?(?: anymore| any more)?$", low
    ):
        no = "no longer" if (anymore or "no longer" in low) else "doesn't"
        state.add("diet.alcohol", f"The user {no} {'drinks' if no == 'no longer' else 'drink'} "
                  "alcohol")  # fmt: skip
        return True
    for pattern, kind in patterns:
        m = re.match(pattern, low)
        if not m:
            continue
        verb = m.group("verb")
        raw = clause[m.start("v") :]
        if (
            kind == ""
            and verb in ("love", "like")
            and re.match(
                r"(?:to )?(?:be|have|get|go|"
                r"see|know|think|say)\b",
                raw,
                re.I,
            )
        ):
            return True  # "i'd love to be..." style or wishes; not a stable preference
        if kind == "neg" and verb in ("eat", "drink"):
            return _diet_negative(raw, verb, anymore, state)
        raw = _cut(raw, r"\s(?:like|such as|for example|e\.g\.|but|over)\b")
        if not raw or len(raw.split()) > 8:
            return True
        if re.match(r"(?:it|that|this|how|when|what|where|why|who|whether|is|was|are|were|to be|"
                    r"the way|the idea|the fact|being told|you|your|him|her|them|myself|my life|"
                    r"life|everyone|everything|everybody|people|nothing|anything)\b",
                    raw, re.I):  # fmt: skip
            return True
        items = _pref_items(raw)
        for item in items:
            if not item or _has_pronoun(item) or _dangling(item) or len(item.split()) > 6:
                continue
            thing = _third_person(item)
            key = _key(thing)
            if not key:
                continue
            if kind == "":
                text = f"The user {_LIKE_VERBS[verb]} {thing}"
                if verb == "prefer":
                    continue
            elif kind == "neg":
                text = (
                    f"The user no longer {'likes' if verb == 'like' else verb + 's'} {thing}"
                    if anymore
                    else f"The user doesn't {verb} {thing}"
                )
            elif kind == "nolonger":
                text = f"The user no longer {verb}s {thing}"
            elif kind == "cant":
                text = f"The user can't {verb} {thing}"
            elif kind == "am":
                phrase = re.sub(r"^a (?:big |huge |massive |great )?fan of", "a big fan of", verb)
                text = f"The user is {phrase} {thing}"
            elif kind == "amnot":
                phrase = re.sub(r"^a (?:big |huge )?fan of", "a fan of", verb)
                no = "no longer" if (anymore or "no longer" in low) else "not"
                text = f"The user is {no} {phrase} {thing}"
            else:
                text = f"The user has {verb} {thing}"
            state.add(f"pref.{key}", text)
        return True
    m = re.match(r"^my (?P<f>favou?rite|fave|fav) (?P<x>[a-z' ]{2,30}?)(?:'s| is| are) (?P<v>.+)$",
                 low)  # fmt: skip
    if m:
        x = m.group("x").strip()
        value = _cut(clause[m.start("v") :])
        if (
            value
            and len(x.split()) <= 3
            and len(value.split()) <= 6
            and not _has_pronoun(value)
            and not _dangling(value)
            and not re.match(r"(?:still|probably|definitely|not)\b", value, re.I)
        ):
            spelled = "favourite" if m.group("f") == "favourite" else "favorite"
            key = _key(x.replace("colour", "color").replace("favourite", "favorite"))
            state.add(f"favorite.{key}", f"The user's {spelled} {x} is {_third_person(value)}")
        return True
    m = re.match(r"^(?P<v>[a-z0-9][a-z0-9' &.-]{0,50}?) (?:is|are) (?:still |definitely |totally )?"
                 r"my (?P<f>favou?rite|fave|fav) (?P<x>[a-z' ]{2,30})$", low)  # fmt: skip
    if m:
        value = clause[m.start("v") : m.end("v")].strip()
        x = _cut(clause[m.start("x") :])
        if (
            value
            and x
            and len(x.split()) <= 3
            and len(value.split()) <= 6
            and not _has_pronoun(value)
            and not value.lower().startswith(("what", "which", "who", "that", "this"))
        ):
            spelled = "favourite" if m.group("f") == "favourite" else "favorite"
            key = _key(x.replace("colour", "color"))
            state.add(f"favorite.{key}", f"The user's {spelled} {x.lower()} is {value}")
        return True
    return False


def _diet_negative(raw: str, verb: str, anymore: bool, state: _State) -> bool:
    value = _cut(raw, r"\s(?:like|such as|but|because)\b")
    if not value and verb == "drink":
        value = "alcohol"
    if not value or _has_pronoun(value) or _dangling(value) or len(value.split()) > 4:
        return True
    if re.match(r"(?:much|a lot|enough|here|breakfast|lunch|dinner|after|before|at|in|on|"
                r"out|and|with|late|early|until|till|fast|slowly)\b", value, re.I):  # fmt: skip
        return True
    for item in _pref_items(value):
        thing = _third_person(item)
        key = _key(thing)
        if not key or _has_pronoun(item):
            continue
        no = f"no longer {verb}s" if anymore else f"doesn't {verb}"
        text = f"The user {no} {thing}"
        state.add(f"diet.{key}", text)
    return True


def _allergen_key(thing: str) -> str:
    """`peanuts` and `peanut` share a slot, so "peanut allergy" and "allergic to peanuts" agree."""
    words = _key(thing).split("_")
    last = words[-1]
    if last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    elif last.endswith("s") and not last.endswith("ss") and len(last) > 3:
        last = last[:-1]
    return "_".join([*words[:-1], last])


def _health(clause: str, low: str, state: _State) -> bool:
    m = re.match(rf"^{_IM} (?P<neg>not |no longer )?{_ADV}(?:severely |very |mildly |deathly |"
                 r"super |highly )?allergic to (?P<v>.+)$", low)  # fmt: skip
    m2 = re.match(
        rf"^(?:i {_ADV}have|{_IVE} got|i've|i got) (?:an? |some |bad |severe |a severe |a bad |"
        r"a mild |a serious |a slight )?(?P<v>[a-z ]{2,30}?) allerg(?:y|ies)$",
        low,
    ) or re.match(rf"^(?:i {_ADV}have|{_IVE} got) an? (?:severe |bad |serious )?allergy to "
                  r"(?P<v>.+)$", low)  # fmt: skip
    if m or m2:
        mm = m or m2
        assert mm is not None
        value = _cut(clause[mm.start("v") : mm.end("v")], r"\s(?:like|such as)\b")
        neg = m.group("neg") if m else None
        if not value or len(value.split()) > 8:
            return True
        noun_first = bool(m2) and "allergy to" not in low
        for item in _pref_items(value):
            item = re.sub(r"^(?:all|most|some|any)\s+", "", item, flags=re.I)
            if not item or _has_pronoun(item) or _dangling(item) or len(item.split()) > 4:
                continue
            if item.lower().split()[0] in ("my", "our", "your", "the", "life", "work", "people"):
                continue
            thing = _third_person(item.lower())
            slot = f"allergy.{_allergen_key(thing)}"
            if neg:
                no = "no longer" if "no longer" in neg or "anymore" in low else "not"
                state.add(slot, f"The user is {no} allergic to {thing}")
            elif noun_first:
                state.add(slot, f"The user has a {thing} allergy")
            else:
                state.add(slot, f"The user is allergic to {thing}")
        return True
    diets = "|".join(_DIETS)
    m = re.match(rf"^(?:{_IM}|we're|we are) {_ADV}(?:an? )?(?:strict )?(?P<d>{diets})$", low)
    if m:
        d = m.group("d").replace("pescetarian", "pescatarian")
        state.add("user.diet", f"The user is {d}")
        return True
    m = re.match(rf"^(?:{_IM}) (?:not|no longer) {_ADV}(?:an? )?(?P<d>{diets})"
                 r"(?: anymore| any more)?$", low)  # fmt: skip
    if m:
        d = m.group("d").replace("pescetarian", "pescatarian")
        if "no longer" in low or "anymore" in low or "any more" in low:
            state.add("user.diet", f"The user is no longer {d}")
        else:
            state.add("user.diet", f"The user is not {d}")
        return True
    m = re.match(rf"^(?:{_IM}) (?:on|doing|following) (?:an? |the )?(?P<d>keto|paleo|vegan|"
                 r"low[- ]carb|gluten[- ]free|mediterranean|carnivore|plant[- ]based|whole30|"
                 r"low[- ]fat|low[- ]sodium|weight loss)(?: diet)?$", low)  # fmt: skip
    if m:
        state.add("user.diet", f"The user is on a {m.group('d')} diet")
        return True
    m = re.match(rf"^(?:{_IM}) {_ADV}(?P<d>lactose|gluten|dairy|wheat|fructose|histamine)"
                 r"[- ]intolerant$", low)  # fmt: skip
    if m:
        d = m.group("d")
        state.add(f"intolerance.{d}", f"The user is {d} intolerant")
        return True
    if re.match(rf"^(?:{_IM} (?:a )?(?:celiac|coeliac)|i {_ADV}have (?:celiac|coeliac)"
                r"(?: disease)?)$", low):  # fmt: skip
        state.add("intolerance.gluten", "The user has coeliac disease (no gluten)")
        return True
    m = re.match(rf"^(?:{_IM} (?P<a>diabetic|asthmatic|epileptic)|i {_ADV}have (?:type (?P<t>1|2|"
                 r"one|two) )?(?P<b>diabetes|asthma|epilepsy))$", low)  # fmt: skip
    if m:
        word = m.group("a") or m.group("b")
        cond = {"diabetic": "diabetes", "asthmatic": "asthma", "epileptic": "epilepsy"}.get(
            word, word
        )
        t = m.group("t")
        kind = f"type {1 if t in ('1', 'one') else 2} " if t else ""
        state.add(f"health.{cond}", f"The user has {kind}{cond}")
        return True
    m = re.match(rf"^{_IM} {_ADV}(?P<s>married|single|divorced|engaged|widowed|separated)"
                 r"(?: to (?P<v>.+))?$", low)  # fmt: skip
    if m:
        status = m.group("s")
        if m.group("v"):
            if status not in ("married", "engaged"):
                return True
            name = _take_name(_cut(clause[m.start("v") :]), state.trust_case, loose=True)
            if not name:
                return True
            state.add("user.marital", f"The user is {status} to {name}")
        else:
            state.add("user.marital", f"The user is {status}")
        return True
    m = re.match(rf"^(?:i|we) {_ADV}got (?P<s>married|divorced|engaged)"
                 r"(?P<rest> (?:last|this|in|on|yesterday|recently).*)?$", low)  # fmt: skip
    if m:
        state.add("user.marital", f"The user is {m.group('s')}")
        return True
    return False


def _have(clause: str, low: str, state: _State) -> bool:
    """`I have a cat named Tom`, `we've got two dogs and a cat`, `I have a sister called Anna`."""
    m = re.match(
        rf"^(?:i {_ADV}have|i(?:'ve| have) {_ADV}got|ive got|we {_ADV}have|we(?:'ve| have) got|"
        r"i got|i just got|we just got|i(?:'ve| have) just got|i own|we own) (?P<v>.+)$",
        low,
    )
    if m:
        rest = clause[m.start("v") :]
        rest_low = rest.lower()
        if re.match(r"(?:no|never|not)\b", rest_low):
            return False
        matched_any = False
        pet_words = "|".join(sorted(list(_PETS) + list(_PET_PLURALS), key=len, reverse=True))
        fam = r"kids?|children|child|sons?|daughters?|brothers?|sisters?|siblings?|grandkids|" \
              r"grandchildren|grandchild|twins|stepkids|stepchildren"  # fmt: skip
        item_re = re.compile(
            rf"(?P<q>{_QUANT}) (?:(?:little|young|old|older|younger|big|baby|new|pet|grown[- ]up|"
            r"adult|lovely|beautiful|cute|rescue|black|white|ginger|grey|gray|tabby|fat|small|tiny"
            r"|lazy|naughty|old|twin|teenage|step|half) )*(?:[a-z]+ )?"
            rf"(?P<n>(?:{pet_words})(?:s|es)?|{fam})\b"
            r"(?:(?: who(?:'s| is)| that's| which is)? (?:called|named) "
            r"(?P<name>[A-Za-z][A-Za-z'-]*(?: [A-Z][A-Za-z'-]*)?))?",
            re.I,
        )
        pos = 0
        for item in item_re.finditer(rest):
            between = rest[pos : item.start()].strip(" ,").lower()
            if between not in ("", "and", "plus", "as well as", "and also", "also"):
                break
            pos = item.end()
            matched_any = True
            q = item.group("q").lower()
            noun = item.group("n").lower()
            name = item.group("name")
            noun_sing = _PET_PLURALS.get(noun, noun)
            if noun_sing not in _PETS and noun_sing.rstrip("s") in _PETS:
                noun_sing = noun_sing.rstrip("s")
            elif noun_sing not in _PETS and noun_sing.endswith("es") and noun_sing[:-2] in _PETS:
                noun_sing = noun_sing[:-2]
            if noun_sing in _PETS:
                kind = _PETS[noun_sing]
                if name:
                    nm = _take_name(_cut(name), state.trust_case, loose=True, max_words=2)
                    if nm:
                        state.add(f"pet.{kind}.name", f"The user has a {noun_sing} called {nm}")
                        state.who = _Who("pet", kind, noun_sing, "", named=True)
                        continue
                phrase = item.group(0)
                if name:
                    phrase = phrase[: item.start("name") - item.start()].rsplit(" ", 2)[0]
                state.add(f"pet.{kind}", f"The user has {_third_person(phrase.strip())}")
                if q in ("a", "an", "one", "a new", "a baby", "a pet", "a little"):
                    state.who = _Who("pet", kind, noun_sing, "")
                continue
            # family
            base = noun.rstrip("s") if noun not in ("children", "grandchildren") else noun
            base = {"kid": "children", "child": "children", "children": "children",
                    "sibling": "siblings", "grandkid": "grandchildren",
                    "grandchildren": "grandchildren", "grandchild": "grandchildren",
                    "twin": "twins", "stepkid": "stepchildren", "stepchildren": "stepchildren"
                    }.get(base, base)  # fmt: skip
            if name and noun in _RELATIONS:
                rel_key, gender, several = _RELATIONS[noun]
                nm = _take_name(_cut(name), state.trust_case, loose=True, max_words=2)
                if nm:
                    _person_name(state, rel_key, noun, gender, several, nm, has=True)
                    continue
            if name:
                continue
            state.add(f"family.{base}", f"The user has {_third_person(item.group(0).strip())}")
            if q in ("a", "an", "one") and noun in _RELATIONS:
                rel_key, gender, several = _RELATIONS[noun]
                if not several:
                    state.who = _Who("person", rel_key, noun, gender)
        return matched_any or _plan(clause, low, state)
    m = re.match(
        rf"^(?:i|we) (?:{_DONT} have|no longer have|{_DONT} own) (?:a |an |any )?(?P<n>[a-z ]+?)"
        r"(?: (?P<any>anymore|any more|now))?$",
        low,
    )
    if m:
        noun = m.group("n").strip()
        sing = _PET_PLURALS.get(noun, noun[:-1] if noun.endswith("s") else noun)
        if sing in _PETS or noun in _PETS:
            kind = _PETS.get(sing, _PETS.get(noun, ""))
            if m.group("any") or "no longer" in low:
                state.add(f"pet.{kind}", f"The user no longer has a {sing}")
            else:
                state.add(f"pet.{kind}", f"The user doesn't have a {sing}")
            return True
        if noun in ("kids", "children", "any kids", "any children"):
            state.add("family.children", "The user doesn't have children")
            return True
        if noun in ("siblings", "brothers or sisters"):
            state.add("family.siblings", "The user doesn't have siblings")
            return True
    return False


def _person_name(
    state: _State,
    rel_key: str,
    spoken: str,
    gender: str,
    several: bool,
    name: str,
    has: bool = False,
) -> None:
    if several:
        key = f"{rel_key}.{_key(name)}"
        state.add(f"person.{key}", f"The user has a {spoken} called {name}")
        state.who = _Who("person", key, f"{spoken} {name}", gender, several=True, named=True)
    else:
        state.add(f"person.{rel_key}.name", f"The user's {spoken} is called {name}")
        state.who = _Who("person", rel_key, spoken, gender, named=True)


_REL_WORDS = "|".join(sorted((re.escape(w) for w in _RELATIONS), key=len, reverse=True))
_PET_WORDS = "|".join(sorted((re.escape(w) for w in _PETS), key=len, reverse=True))
_MOD_WORDS = "|".join(sorted((re.escape(w) for w in _MODIFIERS if w), key=len, reverse=True))
_SUBJECT_RE = re.compile(
    rf"^my (?P<mods>(?:(?:{_MOD_WORDS})[ -]?)*)(?P<rel>{_REL_WORDS}|best friend|{_PET_WORDS})"
    r"(?P<rest>(?:'s|s)?(?: .*)?)$",
    re.I,
)


def _who_from(mods: str, rel: str) -> tuple[str, str, str, bool, bool] | None:
    """(kind, slot key, spoken phrase, gender, several) for "older sister", "dog" ..."""
    rel = rel.lower()
    mod_words = [w for w in re.split(r"[ -]+", mods.lower()) if w]
    key_mods = [_MODIFIERS.get(w, w) for w in mod_words]
    key_mods = [k for k in key_mods if k]
    spoken_mods = [w for w in mod_words if _MODIFIERS.get(w, w)]
    if rel in _PETS:
        return "pet", _PETS[rel], " ".join([*spoken_mods, rel]), "", False
    if rel == "best friend":
        rel_key, gender, several = "best_friend", "", False
    elif rel in _RELATIONS:
        rel_key, gender, several = _RELATIONS[rel]
    else:
        return None
    if "best" in key_mods and rel_key == "friend":
        rel_key, several = "best_friend", False
        key_mods = [k for k in key_mods if k != "best"]
    key = "_".join([*key_mods, rel_key])
    return "person", key, " ".join([*spoken_mods, rel]), gender, several


def _person(clause: str, low: str, state: _State) -> bool:
    """Statements about the user's people and pets: "my sister's name is anna", "she's a nurse"."""
    m = _SUBJECT_RE.match(clause)
    if m:
        info = _who_from(m.group("mods") or "", m.group("rel"))
        if info is None:
            return False
        kind, key, spoken, gender, several = info
        rest = m.group("rest") or ""
        # "my sister anna ..." / "my dog Rex ...": an appositive name first.
        appos = re.match(r"^ (?P<n>[A-Za-z][A-Za-z'-]*(?: [A-Za-z][A-Za-z'-]*)?)(?P<r>.*)$", rest)
        who = _Who(kind, key, spoken, gender, several)
        if appos and not re.match(r"^ (?:is|are|was|has|had|'s|s|name|called|named|goes|lives|"
                                  r"works|just|moved|turned|also|and)\b", rest, re.I):  # fmt: skip
            first = appos.group("n").split()[0]
            if _name_like(first, state.trust_case) and not first.lower().endswith("'s"):
                name = _take_name(appos.group("n"), state.trust_case, loose=False, max_words=2)
                if name:
                    consumed = len(name.split())
                    tail_words = appos.group("n").split()[consumed:]
                    rest = (" " + " ".join(tail_words) if tail_words else "") + appos.group("r")
                    who = _name_who(state, kind, key, spoken, gender, several, name)
        state.who = who
        _predicate(rest, state, who)
        return True
    # A pronoun about the person or pet this sentence is about.
    m = re.match(r"^(?P<p>she|he|they|it|her|his|its|their)(?P<rest>(?:'s|'re)?(?: .*)?)$", clause,
                 re.I)  # fmt: skip
    if m and state.who is not None:
        p = m.group("p").lower()
        who = state.who
        wanted = {"she": "f", "her": "f", "he": "m", "his": "m"}.get(p, "")
        if who.gender and wanted and who.gender != wanted:
            return True
        if who.kind == "person" and p in ("it", "its"):
            return True
        rest = m.group("rest") or ""
        if p in ("her", "his", "its", "their"):
            if not re.match(r"^ name(?:'s| is)", rest, re.I):
                return True
            rest = "'s" + rest
        elif p == "they":
            rest = re.sub(r"^'re", " are", rest)
            rest = re.sub(r"^ (live|work)\b", r" \1s", rest)
            rest = re.sub(r"^ are\b", " is", rest)
        elif rest.startswith("'s"):
            rest = " is" + rest[2:]
        _predicate(rest, state, who)
        return True
    return False


def _name_who(
    state: _State, kind: str, key: str, spoken: str, gender: str, several: bool, name: str
) -> _Who:
    if kind == "pet":
        state.add(f"pet.{key}.name", f"The user's {spoken} is called {name}")
        return _Who("pet", key, spoken, gender, named=True)
    if several:
        k = f"{key}.{_key(name)}"
        state.add(f"person.{k}", f"The user has a {spoken} called {name}")
        return _Who("person", k, f"{spoken} {name}", gender, several=True, named=True)
    state.add(f"person.{key}.name", f"The user's {spoken} is called {name}")
    return _Who("person", key, spoken, gender, named=True)


def _predicate(rest: str, state: _State, who: _Who) -> None:
    """What follows "my sister" / "she": a name, home, job, employer, age, birthday, allergy."""
    low = rest.lower()
    prefix = "pet" if who.kind == "pet" else "person"
    subject = f"The user's {who.phrase}"
    m = re.match(r"^(?:'s|s)? ?(?:name(?:'s| is|s)|(?:is |'s )?(?:called|named)|goes by) "
                 r"(?P<v>.+)$", low)  # fmt: skip
    if m:
        value = _cut(rest[m.start("v") :])
        if re.match(r"(?:not|actually not)\b", value, re.I):
            return
        name = _take_name(value, state.trust_case, loose=True, max_words=3)
        if name and len(name.split()) == len(value.split()):
            if who.named:
                return  # "my sister anna's name is..." — conflicting; keep the first
            state.who = _name_who(state, who.kind, who.key, who.phrase, who.gender, who.several,
                                  name)  # fmt: skip
        return
    m = re.match(r"^ is (?P<v>[A-Za-z][A-Za-z'-]*(?: [A-Za-z][A-Za-z'-]*)?)$", rest)
    if m and not who.named:
        value = m.group("v")
        name = _take_name(value, state.trust_case, loose=False, max_words=2)
        if name and len(name.split()) == len(value.split()) and value.lower() not in _JOBS:
            state.who = _name_who(state, who.kind, who.key, who.phrase, who.gender, who.several,
                                  name)  # fmt: skip
            return
    if who.several and not who.named:
        return  # "my friend lives in paris": which friend? too vague to pin
    base = f"{prefix}.{who.key}"
    m = re.match(rf"^ {_ADV}(?:lives|is living|'s living|has lived|has been living) "
                 r"(?P<prep>in|at) (?P<v>.+)$", low) or re.match(
        rf"^ {_ADV}(?:moved|has moved|'s moved|just moved|relocated) (?:back )?(?P<prep>to) "
        r"(?P<v>.+)$", low)  # fmt: skip
    if m:
        place = _place(rest[m.start("v") :], state)
        if place:
            prep = "at" if m.group("prep") == "at" else "in"
            state.add(f"{base}.home", f"{subject} lives {prep} {place}")
        return
    if who.kind == "person":
        m = re.match(rf"^ {_ADV}(?:works|is working|'s working) (?P<prep>at|for) (?P<v>.+)$", low)
        if m:
            employer = _employer_value(rest[m.start("v") :], state)
            if employer:
                state.add(f"{base}.employer", f"{subject} works {m.group('prep')} {employer}")
            return
        m = re.match(rf"^ {_ADV}(?:works as|is working as) (?P<v>.+)$", low) or re.match(
            rf"^ is {_ADV}(?P<v>an? .+)$", low
        )
        if m:
            parsed = _job_np(rest[m.start("v") :])
            if parsed and (_job_phrase(parsed[0]) or "works as" in low):
                np = parsed[0]
                if not _has_pronoun(np) and not _dangling(np):
                    state.add(f"{base}.job", f"{subject} is {_third_person(np)}")
            return
        m = re.match(r"^(?:'s|s) (?:birthday|bday)(?:'s| is) (?P<v>.+)$", low)
        if m:
            date = _date(_cut(rest[m.start("v") :]))
            if date:
                state.add(f"{base}.birthday", f"{subject}'s birthday is {_date_phrase(date)}")
            return
        m = re.match(rf"^ is {_ADV}allergic to (?P<v>.+)$", low)
        if m:
            value = _cut(rest[m.start("v") :])
            for item in _pref_items(value):
                if item and not _has_pronoun(item) and len(item.split()) <= 4:
                    thing = _third_person(item.lower())
                    state.add(f"{base}.allergy.{_key(thing)}", f"{subject} is allergic to {thing}")
            return
    m = re.match(rf"^ (?:is|just turned|turned|'s) (?P<n>{_NUM_WORD})(?P<unit> years? old| months? "
                 r"old)?$", low)  # fmt: skip
    if m:
        n = _parse_number(m.group("n"))
        unit = (m.group("unit") or " years old").strip()
        if n is not None and 0 < n <= 120 and (m.group("unit") or n >= 1):
            if n == 1:
                unit = unit.replace("years", "year").replace("months", "month")
            state.add(f"{base}.age", f"{subject} is {n} {unit}")
        return


def _appositive_names(clause: str, state: _State) -> None:
    """`I'm visiting my sister Anna on Friday` still says the sister is called Anna."""
    for m in re.finditer(
        rf"\bmy (?P<mods>(?:(?:{_MOD_WORDS})[ -]?)*)(?P<rel>{_REL_WORDS}|best friend|{_PET_WORDS})"
        r" (?P<n>[A-Za-z][A-Za-z'-]*(?: [A-Za-z][A-Za-z'-]*)?)",
        clause,
        re.I,
    ):
        first = m.group("n").split()[0]
        if not _name_like(first, state.trust_case) or first.lower().endswith("'s"):
            continue
        info = _who_from(m.group("mods") or "", m.group("rel"))
        if info is None:
            continue
        name = _take_name(m.group("n"), state.trust_case, loose=False, max_words=2)
        if name:
            kind, key, spoken, gender, several = info
            _name_who(state, kind, key, spoken, gender, several, name)


_PLAN_VERBS = (
    r"going to|going on|going back to|going for|flying to|flying out to|travell?ing to|"
    r"heading to|heading out to|driving to|moving to|off to|visiting|seeing|meeting|starting|"
    r"getting|having|taking|leaving for|leaving|returning to|playing|running|hosting|attending|"
    r"celebrating|throwing|going camping|going skiing|going hiking|going fishing|going shopping|"
    r"competing in|taking part in|doing|graduating|retiring|coming back from|presenting"
)
_PLACE_VERBS = ("going to", "going back to", "flying to", "flying out to", "travelling to",
                "traveling to", "heading to", "heading out to", "driving to", "moving to",
                "off to", "visiting", "returning to", "leaving for")  # fmt: skip
_TRIVIAL_GOING_TO = frozenset(
    _w(
        """
        be sleep bed tell ask say make try call text need have kill die cry watch read eat cook
        """
    )
)
_TRIVIAL_PLANS = frozenset(
    _w("sleep bed bathroom toilet loo nap shower rest relax cry die work school home eat lunch")
    + _w("dinner breakfast")
    + ["the bathroom", "the toilet", "the loo", "the store", "the shop", "bed early"]
)


def _plan(clause: str, low: str, state: _State) -> bool:
    time_at_end = re.compile(rf"^(?P<body>.+?),? {_TIME}$")
    m = re.match(rf"^(?:{_IM}|we're|we are|were) {_ADV}(?P<verb>{_PLAN_VERBS}) (?P<v>.+)$", low)
    if m:
        t = time_at_end.match(low[m.start("v") :])
        if not t:
            return False
        obj = clause[m.start("v") : m.start("v") + t.end("body")]
        obj = _cut(obj, r"\s(?:for (?:a|the|two|three|\d)|because)\b")
        verb = m.group("verb")
        if not obj or _has_pronoun(obj) or len(obj.split()) > 7 or _dangling(obj):
            return True
        trivial = obj.lower() in _TRIVIAL_PLANS or (
            verb == "going to" and obj.split()[0].lower() in _TRIVIAL_GOING_TO
        )
        if trivial and not re.match(r"be (?:in|at|away|travelling|traveling|visiting|on)\b", obj,
                                    re.I):  # fmt: skip
            return True
        when = _cap_time(clause[m.start("v") + t.start("time") :])
        is_place = verb in _PLACE_VERBS
        if is_place:
            described = re.match(r"(?:an?|my|the|see|visit)\b", obj, re.I)
            shown = obj if described else _cap_place(obj, state.trust_case)
            key = _key(_third_person(obj))
        else:
            shown = obj
            key = _key(f"{verb} {_third_person(obj)}")
        if not key:
            return True
        state.add(f"plan.{key}", f"The user is {verb} {_third_person(shown)} {when}")
        return True
    events = "|".join(re.escape(e) for e in _EVENTS)
    m = re.match(
        rf"^(?:i {_ADV}have|i(?:'ve| have) {_ADV}got|ive got|i've|we {_ADV}have|we(?:'ve| have) "
        r"got|i got) (?P<v>.+)$",
        low,
    )
    if m:
        t = time_at_end.match(low[m.start("v") :])
        if not t:
            return False
        body = clause[m.start("v") : m.start("v") + t.end("body")]
        e = re.match(
            r"^(?P<np>(?:an?|my|the|another|two|three|some|this|that|our|a big|a huge|"
            rf"an important) (?:[A-Za-z'-]+ ){{0,3}}?(?:{events})s?)"
            r"(?P<with> (?:with|at|in|for|to) .+)?$",
            body,
            re.I,
        )
        if not e:
            return False
        np = e.group("np")
        extra = e.group("with") or ""
        if _has_pronoun(np + extra) or len((np + extra).split()) > 9:
            return True
        when = _cap_time(clause[m.start("v") + t.start("time") :])
        key = _key(_third_person(np))
        extra_shown = " " + _third_person(extra) if extra else ""
        if extra.strip().lower().startswith("with"):
            key = _key(_third_person(np + extra))
        state.add(f"plan.{key}", f"The user has {_third_person(np)}{extra_shown} {when}")
        return True
    m = re.match(rf"^my (?P<np>(?:[a-z'-]+ ){{0,3}}?(?:{events}|birthday party|due date|"
                 r"exams|finals))(?:'s| is| are) (?P<v>.+)$", low)  # fmt: skip
    if m:
        value = low[m.start("v") :]
        value = re.sub(r"^(?:coming up |scheduled |happening |booked )", "", value)
        t = re.fullmatch(_TIME, value)
        if not t:
            return False
        np = clause[m.start("np") : m.end("np")]
        when = _cap_time(clause[len(clause) - len(value) :])
        state.add(f"plan.{_key(np)}", f"The user's {np} is {when}")
        return True
    m = re.match(r"^(?:i'll|i will|ill|we'll|we will) be (?P<prep>in|at|away|visiting|"
                 r"travell?ing|on holiday|on vacation|off)(?P<v>.*)$", low)  # fmt: skip
    if m:
        rest = low[m.end("prep") :]
        t = re.match(rf"^(?P<body>.*?),? ?{_TIME}$", rest)
        if not t:
            return False
        obj = clause[m.end("prep") : m.end("prep") + t.end("body")].strip()
        prep = m.group("prep")
        if obj and (_has_pronoun(obj) or len(obj.split()) > 6 or _dangling(obj)):
            return True
        if prep in ("in", "at", "visiting", "travelling", "traveling") and not obj:
            return True
        when = _cap_time(clause[m.end("prep") + t.start("time") :])
        shown = _cap_place(obj, state.trust_case) if prep in ("in", "at") and obj else obj
        key = _key(obj) if obj else _key(prep)
        state.add(f"plan.{key}", f"The user will be {prep} {_third_person(shown)} {when}".replace(
            "  ", " "))  # fmt: skip
        return True
    m = re.match(rf"^(?:i {_ADV}plan to|{_IM} {_ADV}planning to|{_IM} {_ADV}planning on) "
                 r"(?P<v>.+)$", low)  # fmt: skip
    if m:
        t = time_at_end.match(low[m.start("v") :])
        if not t:
            return True
        obj = clause[m.start("v") : m.start("v") + t.end("body")]
        if _has_pronoun(obj) or len(obj.split()) > 7 or _dangling(obj):
            return True
        when = _cap_time(clause[m.start("v") + t.start("time") :])
        state.add(
            f"plan.{_key(_third_person(obj))}",
            f"The user plans to {_third_person(obj)} {when}".replace("on ", "on ", 1),
        )
        return True
    return False


_HANDLERS: list[Handler] = [_name, _home, _origin, _birthday, _age, _health, _work, _pref, _have,
                            _person, _plan]  # fmt: skip
