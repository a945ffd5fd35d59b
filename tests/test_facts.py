"""Rule-based extraction of durable facts about the user, and the spoken memory commands."""

from __future__ import annotations

import random

import pytest

from assistant.memory.facts import Fact, MemoryCommand, extract, parse_command


def facts(text: str) -> dict[str, str]:
    return {f.slot: f.text for f in extract(text)}


# -- what is extracted ---------------------------------------------------------------------------

POSITIVE: list[tuple[str, dict[str, str]]] = [
    # name
    ("my name is sam", {"user.name": "The user's name is Sam."}),
    ("My name is Sam.", {"user.name": "The user's name is Sam."}),
    ("my names john", {"user.name": "The user's name is John."}),
    ("my name is john smith", {"user.name": "The user's name is John Smith."}),
    ("my name's Mary-Jane", {"user.name": "The user's name is Mary-Jane."}),
    ("Hi, I'm Priyanka.", {"user.name": "The user's name is Priyanka."}),
    ("I'm Sam, nice to meet you.", {"user.name": "The user's name is Sam."}),
    ("i'm ryan", {"user.name": "The user's name is Ryan."}),
    ("call me Max", {"user.name": "The user's name is Max."}),
    ("you can call me liz", {"user.name": "The user's name is Liz."}),
    ("everyone calls me Bobby", {"user.name": "The user's name is Bobby."}),
    ("I'm called Jo", {"user.name": "The user's name is Jo."}),
    ("i go by alex", {"user.name": "The user's name is Alex."}),
    ("by the way my name is sam from boston", {"user.name": "The user's name is Sam."}),
    ("my last name is O'Brien", {"user.surname": "The user's last name is O'Brien."}),
    # home, origin
    ("I live in Silver Lake.", {"user.home": "The user lives in Silver Lake."}),
    ("i've lived in denver for ten years", {"user.home": "The user lives in Denver."}),
    ("how are you i'm sam", {"user.name": "The user's name is Sam."}),
    ("i live in silver lake", {"user.home": "The user lives in Silver Lake."}),
    ("I moved to Pasadena.", {"user.home": "The user lives in Pasadena."}),
    ("i moved to pasadena last month", {"user.home": "The user lives in Pasadena."}),
    ("I moved to Pasadena from Silver Lake", {"user.home": "The user lives in Pasadena."}),
    ("so yeah i live in brooklyn now", {"user.home": "The user lives in Brooklyn."}),
    ("i live in boston with my wife", {"user.home": "The user lives in Boston."}),
    ("I live in Boston, Massachusetts.", {"user.home": "The user lives in Boston, Massachusetts."}),
    ("I live in St. Louis.", {"user.home": "The user lives in St. Louis."}),
    ("I live in a small town in ohio", {"user.home": "The user lives in a small town in Ohio."}),
    ("i live in the bay area", {"user.home": "The user lives in the Bay Area."}),
    ("we just moved to denver", {"user.home": "The user lives in Denver."}),
    ("my wife and i live in austin", {"user.home": "The user lives in Austin."}),
    ("i'm based in berlin these days", {"user.home": "The user lives in Berlin."}),
    ("i don't live in boston anymore", {"user.home": "The user no longer lives in Boston."}),
    ("I'm from Ireland", {"user.origin": "The user is from Ireland."}),
    ("i'm originally from cork", {"user.origin": "The user is from Cork."}),
    ("im from texas", {"user.origin": "The user is from Texas."}),
    ("i'm originally from the uk", {"user.origin": "The user is from the UK."}),
    ("i grew up in new jersey", {"user.grew_up": "The user grew up in New Jersey."}),
    ("i was born in dublin", {"user.birthplace": "The user was born in Dublin."}),
    # work
    ("i work as a nurse", {"user.job": "The user works as a nurse."}),
    ("I'm a nurse", {"user.job": "The user is a nurse."}),
    ("i'm an engineer", {"user.job": "The user is an engineer."}),
    ("I am a registered nurse", {"user.job": "The user is a registered nurse."}),
    ("I'm a stay at home mom", {"user.job": "The user is a stay at home mom."}),
    ("i'm a student", {"user.job": "The user is a student."}),
    ("i'm retired now", {"user.job": "The user is retired."}),
    ("i work for myself", {"user.job": "The user is self-employed."}),
    ("I'm not a nurse anymore", {"user.job": "The user is no longer a nurse."}),
    (
        "i'm a software engineer at google",
        {
            "user.job": "The user is a software engineer.",
            "user.employer": "The user works at Google.",
        },
    ),
    (
        "I work as a barista at Starbucks",
        {
            "user.job": "The user works as a barista.",
            "user.employer": "The user works at Starbucks.",
        },
    ),
    ("i work as an accountant", {"user.job": "The user works as an accountant."}),
    ("i've been working as a paralegal", {"user.job": "The user works as a paralegal."}),
    ("i work at google", {"user.employer": "The user works at Google."}),
    ("I work for Microsoft", {"user.employer": "The user works for Microsoft."}),
    ("i work at a bakery downtown", {"user.employer": "The user works at a bakery downtown."}),
    ("I just started at Acme last week", {"user.employer": "The user works at Acme."}),
    ("I quit my job at Google", {"user.employer": "The user no longer works at Google."}),
    ("i don't work at google anymore", {"user.employer": "The user no longer works at Google."}),
    ("i got laid off", {"user.employer": "The user is currently not working."}),
    ("i work from home", {"user.work_location": "The user works from home."}),
    ("i work in marketing", {"user.work_field": "The user works in marketing."}),
    (
        "I'm studying computer science at MIT",
        {"user.studies": "The user studies computer science at MIT."},
    ),
    # birthday, age
    ("my birthday is march 3rd", {"user.birthday": "The user's birthday is on March 3rd."}),
    (
        "my birthday is on the fifth of may",
        {"user.birthday": "The user's birthday is on the fifth of May."},
    ),
    ("my birthday's in july", {"user.birthday": "The user's birthday is in July."}),
    ("i was born on june 5th", {"user.birthday": "The user was born on June 5th."}),
    ("i was born in 1990", {"user.birth_year": "The user was born in 1990."}),
    ("I'm 34", {"user.age": "The user is 34 years old."}),
    ("i'm 34 years old", {"user.age": "The user is 34 years old."}),
    ("i am twenty five years old", {"user.age": "The user is 25 years old."}),
    ("i just turned forty", {"user.age": "The user is 40 years old."}),
    # people
    ("my wife's name is sarah", {"person.wife.name": "The user's wife is called Sarah."}),
    ("my wifes name is sarah", {"person.wife.name": "The user's wife is called Sarah."}),
    ("my husband is called John", {"person.husband.name": "The user's husband is called John."}),
    ("my wife is Sarah", {"person.wife.name": "The user's wife is called Sarah."}),
    (
        "my boss is called Dave and he's a jerk",
        {"person.boss.name": "The user's boss is called Dave."},
    ),
    (
        "my sister's name is anna and she lives in boston",
        {
            "person.sister.name": "The user's sister is called Anna.",
            "person.sister.home": "The user's sister lives in Boston.",
        },
    ),
    (
        "my sister Anna lives in Boston",
        {
            "person.sister.name": "The user's sister is called Anna.",
            "person.sister.home": "The user's sister lives in Boston.",
        },
    ),
    (
        "my older brother is called mike",
        {"person.older_brother.name": "The user's older brother is called Mike."},
    ),
    (
        "my little sister emma just turned 16",
        {
            "person.younger_sister.name": "The user's little sister is called Emma.",
            "person.younger_sister.age": "The user's little sister is 16 years old.",
        },
    ),
    ("my mom's name is linda", {"person.mother.name": "The user's mom is called Linda."}),
    ("my mum is called Linda", {"person.mother.name": "The user's mum is called Linda."}),
    ("i have a sister called anna", {"person.sister.name": "The user's sister is called Anna."}),
    (
        "i have a brother named jim who lives in ohio",
        {"person.brother.name": "The user's brother is called Jim."},
    ),
    ("my sister is a nurse", {"person.sister.job": "The user's sister is a nurse."}),
    ("my dad works at ford", {"person.father.employer": "The user's dad works at Ford."}),
    ("my mum is 70", {"person.mother.age": "The user's mum is 70 years old."}),
    ("my son is five years old", {"person.son.age": "The user's son is 5 years old."}),
    (
        "my mom's birthday is june 5",
        {"person.mother.birthday": "The user's mom's birthday is on June 5."},
    ),
    (
        "my daughter is called Lily and she's six",
        {
            "person.daughter.name": "The user's daughter is called Lily.",
            "person.daughter.age": "The user's daughter is 6 years old.",
        },
    ),
    (
        "my brother John is a dentist and he lives in ohio",
        {
            "person.brother.name": "The user's brother is called John.",
            "person.brother.job": "The user's brother is a dentist.",
            "person.brother.home": "The user's brother lives in Ohio.",
        },
    ),
    (
        "my best friend tom lives in london",
        {
            "person.best_friend.name": "The user's best friend is called Tom.",
            "person.best_friend.home": "The user's best friend lives in London.",
        },
    ),
    ("my friend's name is tom", {"person.friend.tom": "The user has a friend called Tom."}),
    (
        "My friend Tom is a lawyer",
        {
            "person.friend.tom": "The user has a friend called Tom.",
            "person.friend.tom.job": "The user's friend Tom is a lawyer.",
        },
    ),
    (
        "my son is allergic to peanuts",
        {"person.son.allergy.peanuts": "The user's son is allergic to peanuts."},
    ),
    ("i'm married to sarah", {"user.marital": "The user is married to Sarah."}),
    ("i'm single", {"user.marital": "The user is single."}),
    ("i got divorced last year", {"user.marital": "The user is divorced."}),
    ("i have two kids", {"family.children": "The user has two kids."}),
    ("i don't have any kids", {"family.children": "The user doesn't have children."}),
    # pets
    ("my dog is called rex", {"pet.dog.name": "The user's dog is called Rex."}),
    ("my cat's name is luna", {"pet.cat.name": "The user's cat is called Luna."}),
    ("I have a cat named Tom", {"pet.cat.name": "The user has a cat called Tom."}),
    ("we have a dog named biscuit", {"pet.dog.name": "The user has a dog called Biscuit."}),
    (
        "My dog Rex is 5",
        {
            "pet.dog.name": "The user's dog is called Rex.",
            "pet.dog.age": "The user's dog is 5 years old.",
        },
    ),  # noqa: E501
    ("I've got a puppy", {"pet.dog": "The user has a puppy."}),
    (
        "i have a dog and two cats",
        {"pet.dog": "The user has a dog.", "pet.cat": "The user has two cats."},
    ),
    (
        "i have a cat and her name is luna",
        {"pet.cat": "The user has a cat.", "pet.cat.name": "The user's cat is called Luna."},
    ),
    ("I don't have a dog anymore", {"pet.dog": "The user no longer has a dog."}),
    # preferences
    ("i love jazz", {"pref.jazz": "The user loves jazz."}),
    (
        "I like jazz and blues",
        {"pref.jazz": "The user likes jazz.", "pref.blues": "The user likes blues."},
    ),  # noqa: E501
    ("i love rock and roll", {"pref.rock_and_roll": "The user loves rock and roll."}),
    ("i hate mondays", {"pref.mondays": "The user hates mondays."}),
    ("i can't stand cilantro", {"pref.cilantro": "The user can't stand cilantro."}),
    ("i cannot stand cilantro", {"pref.cilantro": "The user can't stand cilantro."}),
    ("I really don't like mushrooms", {"pref.mushrooms": "The user doesn't like mushrooms."}),
    ("I don't like coffee anymore", {"pref.coffee": "The user no longer likes coffee."}),
    ("i dont like coffee any more", {"pref.coffee": "The user no longer likes coffee."}),
    ("i no longer like coffee", {"pref.coffee": "The user no longer likes coffee."}),
    ("i like to swim", {"pref.swim": "The user likes to swim."}),
    ("i really enjoy hiking and stuff", {"pref.hiking": "The user enjoys hiking."}),
    ("I adore the Beatles", {"pref.beatles": "The user adores the Beatles."}),
    (
        "i love playing with my kids",
        {"pref.playing_with_their_kids": "The user loves playing with their kids."},
    ),  # noqa: E501
    (
        "i'm really into photography these days",
        {"pref.photography": "The user is into photography."},
    ),  # noqa: E501
    ("I'm a big fan of the Beatles", {"pref.beatles": "The user is a big fan of the Beatles."}),
    (
        "i'm not a big fan of horror movies",
        {"pref.horror_movies": "The user is not a fan of horror movies."},
    ),  # noqa: E501
    ("i don't really care for sushi", {"pref.sushi": "The user doesn't care for sushi."}),
    ("my favourite colour is blue", {"favorite.color": "The user's favourite colour is blue."}),
    ("my favorite food is pizza", {"favorite.food": "The user's favorite food is pizza."}),
    ("pizza is my favorite food", {"favorite.food": "The user's favorite food is pizza."}),
    ("blue is my favorite color", {"favorite.color": "The user's favorite color is blue."}),
    # allergies, diet, health
    (
        "I'm allergic to peanuts and shellfish",
        {
            "allergy.peanut": "The user is allergic to peanuts.",
            "allergy.shellfish": "The user is allergic to shellfish.",
        },
    ),
    ("i have a peanut allergy", {"allergy.peanut": "The user has a peanut allergy."}),
    ("i'm severely allergic to bees", {"allergy.bee": "The user is allergic to bees."}),
    (
        "i'm not allergic to penicillin",
        {"allergy.penicillin": "The user is not allergic to penicillin."},
    ),  # noqa: E501
    ("i'm vegetarian", {"user.diet": "The user is vegetarian."}),
    ("I'm a vegan now", {"user.diet": "The user is vegan."}),
    ("i'm not vegetarian anymore", {"user.diet": "The user is no longer vegetarian."}),
    ("i'm on a keto diet", {"user.diet": "The user is on a keto diet."}),
    ("I don't eat meat", {"diet.meat": "The user doesn't eat meat."}),
    ("i don't drink", {"diet.alcohol": "The user doesn't drink alcohol."}),
    ("i'm lactose intolerant", {"intolerance.lactose": "The user is lactose intolerant."}),
    ("i have type 2 diabetes", {"health.diabetes": "The user has type 2 diabetes."}),
    # plans
    ("I'm going to Japan next month", {"plan.japan": "The user is going to Japan next month."}),
    ("i'm going to japan next month", {"plan.japan": "The user is going to Japan next month."}),
    ("I'm flying to Paris on Monday", {"plan.paris": "The user is flying to Paris on Monday."}),
    ("we're going to hawaii in june", {"plan.hawaii": "The user is going to Hawaii in June."}),
    (
        "i'm moving to berlin next month",
        {"plan.berlin": "The user is moving to Berlin next month."},
    ),
    (
        "I have a dentist appointment on Friday",
        {"plan.dentist_appointment": "The user has a dentist appointment on Friday."},
    ),
    (
        "i've got a job interview tomorrow at 10am",
        {"plan.job_interview": "The user has a job interview tomorrow at 10am."},
    ),
    (
        "I have a meeting with my boss tomorrow",
        {"plan.meeting_with_their_boss": "The user has a meeting with their boss tomorrow."},
    ),
    (
        "i'm getting married next year",
        {"plan.getting_married": "The user is getting married next year."},
    ),
    (
        "i'm starting a new job on monday",
        {"plan.starting_a_new_job": "The user is starting a new job on Monday."},
    ),
    ("my exam is next week", {"plan.exam": "The user's exam is next week."}),
    ("my flight is tomorrow", {"plan.flight": "The user's flight is tomorrow."}),
    ("my birthday is next week", {"plan.birthday": "The user's birthday is next week."}),
    ("i'll be in london next week", {"plan.london": "The user will be in London next week."}),
    ("I'll be away next week", {"plan.away": "The user will be away next week."}),
    (
        "i'm visiting my parents for christmas",
        {"plan.parents": "The user is visiting their parents for Christmas."},
    ),
    # several facts in one utterance, fillers and memory requests
    (
        "my name is sam and i live in boston and i love jazz",
        {
            "user.name": "The user's name is Sam.",
            "user.home": "The user lives in Boston.",
            "pref.jazz": "The user loves jazz.",
        },
    ),
    (
        "my name is sam i live in boston",
        {"user.name": "The user's name is Sam.", "user.home": "The user lives in Boston."},
    ),
    (
        "I used to live in Boston but now I live in Pasadena",
        {"user.home": "The user lives in Pasadena."},
    ),
    (
        "remember that my wife's name is sarah",
        {"person.wife.name": "The user's wife is called Sarah."},
    ),  # noqa: E501
    (
        "can you remember that i'm allergic to nuts?",
        {"allergy.nut": "The user is allergic to nuts."},
    ),  # noqa: E501
    ("just so you know, I'm allergic to cats.", {"allergy.cat": "The user is allergic to cats."}),
    ("I told you I live in Boston", {"user.home": "The user lives in Boston."}),
    ("as i said i live in boston", {"user.home": "The user lives in Boston."}),
    ("um so uh i work at google", {"user.employer": "The user works at Google."}),
    ("I live in Boston. Do you know it?", {"user.home": "The user lives in Boston."}),
    (
        "I\u2019m a teacher and I love gardening.",
        {"user.job": "The user is a teacher.", "pref.gardening": "The user loves gardening."},
    ),
]


@pytest.mark.parametrize(("text", "expected"), POSITIVE, ids=[t for t, _ in POSITIVE])
def test_extracts(text: str, expected: dict[str, str]) -> None:
    assert facts(text) == expected


# -- what must not be extracted ------------------------------------------------------------------

NOTHING = [
    # questions
    "do you know my name?",
    "do you know my name",
    "what's my name",
    "what's my sister's name",
    "what is my sister's name?",
    "where do I live",
    "where do i live?",
    "do you remember my birthday",
    "what's my favourite colour",
    "how old am i",
    "remind me what my wife is called",
    "can you tell me where i work",
    "is my name sam",
    "I live in Paris?",
    "I live in Boston, right?",
    "i live in boston right",
    "what do you remember about me",
    # not names
    "I'm tired",
    "i'm tired",
    "i'm hungry",
    "I'm back",
    "i'm fine thanks",
    "I'm sorry",
    "I'm Jewish",
    "I'm American",
    "i'm grace",
    "i'm going",
    "call me tomorrow",
    "call me back",
    "call me a taxi",
    "my name is not john",
    "my wife is pregnant",
    "my wife is sarah's friend",
    "my dog barks a lot",
    # not facts about the user
    "if I lived in Paris I'd be happy",
    "if i lived in paris i would be happy",
    "my friend said she loves jazz",
    "my friend tom said he loves jazz",
    "my friend says i'm a good cook",
    "she said i live in paris",
    "he thinks i'm a nurse",
    "my friend lives in paris",
    "i dreamed i lived in paris",
    "i wish i lived in paris",
    "imagine i was a doctor",
    "suppose i moved to london",
    "when i was a kid i lived in paris",
    "when i retire i'm moving to florida next year",
    "I used to live in Boston",
    "i used to love coffee",
    "I'm thinking of moving to Berlin",
    "maybe i'll move to berlin",
    "I might move to Paris",
    "i want to move to paris",
    "i would love to live in paris",
    "i'd love to visit japan",
    "i think i'm allergic to cats",
    "i guess i like jazz",
    "I'm not sure if I like jazz",
    "she's a teacher",
    "he lives in ohio",
    # requests, pronouns, vague things
    "i'd like a coffee",
    "I would like a coffee please",
    "I love you",
    "i love you so much",
    "i like it",
    "i like that",
    "I hate it when people are late",
    "i love the way you talk",
    "i like your voice",
    "i hate my life",
    "i love everything",
    "that's my favorite song",
    "my favorite color is what",
    "I'm going to sleep",
    "i'm going to sleep tonight",
    "i'm going to tell you a story tomorrow",
    "I'm going to Japan",
    "i have a dentist appointment",
    "I forgot my keys",
    # not jobs, not places, not ages
    "I'm a bit tired",
    "I'm a good cook",
    "I'm a fan of yours",
    "i'm a morning person",
    "I'm a hard worker",
    "I'm a little confused",
    "i'm 30 minutes away",
    "i'm 100 percent sure",
    "I'm 6 foot tall",
    "i'm five",
    "I'm from work",
    "i live in fear",
    "i live in the moment",
    "i work at night",
    "i work for hours",
    "i work at 9",
    "i have a cold",
    "i'm not from here",
    "i don't live in boston",
    "i'm studying for an exam",
    "I work as hard as I can",
    "I'm allergic to my job lol",
    "my sister is going to paris next week",
    # empty and noise
    "",
    "   ",
    "...",
    "uh",
    "yeah",
    "thank you",
]


@pytest.mark.parametrize("text", NOTHING)
def test_extracts_nothing(text: str) -> None:
    assert extract(text) == []


# -- superseding ---------------------------------------------------------------------------------


def pinned(*utterances: str) -> dict[str, str]:
    """Notes after a conversation, a newer fact replacing an older one with the same slot."""
    notes: dict[str, str] = {}
    for u in utterances:
        for f in extract(u):
            notes[f.slot] = f.text
    return notes


def test_moving_supersedes_the_old_home() -> None:
    notes = pinned("I live in Silver Lake", "I moved to Pasadena")
    assert notes == {"user.home": "The user lives in Pasadena."}


def test_a_dislike_supersedes_a_like_and_back() -> None:
    assert pinned("I love coffee", "I don't like coffee anymore") == {
        "pref.coffee": "The user no longer likes coffee."
    }
    assert pinned("i hate coffee", "i love coffee") == {"pref.coffee": "The user loves coffee."}
    assert pinned("I'm a big fan of jazz", "I'm not into jazz anymore") == {
        "pref.jazz": "The user is no longer into jazz."
    }


def test_later_facts_in_one_utterance_win() -> None:
    assert facts("i live in boston. actually i moved to denver") == {
        "user.home": "The user lives in Denver."
    }


def test_job_diet_name_and_allergy_changes_supersede() -> None:
    assert pinned("I'm a nurse", "I work as a paramedic") == {
        "user.job": "The user works as a paramedic."
    }
    assert pinned("i'm vegetarian", "i'm not vegetarian anymore") == {
        "user.diet": "The user is no longer vegetarian."
    }
    assert pinned("my name is sam", "actually call me Samantha") == {
        "user.name": "The user's name is Samantha."
    }
    assert pinned("i'm allergic to peanuts", "i have a peanut allergy") == {
        "allergy.peanut": "The user has a peanut allergy."
    }
    assert pinned("I work at Google", "I quit my job at Google") == {
        "user.employer": "The user no longer works at Google."
    }


def test_home_and_origin_are_distinct() -> None:
    assert pinned("I'm from Ireland", "I live in Boston") == {
        "user.origin": "The user is from Ireland.",
        "user.home": "The user lives in Boston.",
    }


def test_several_friends_are_kept_apart() -> None:
    notes = pinned("my friend Tom lives in London", "my friend Jack is a chef")
    assert notes == {
        "person.friend.tom": "The user has a friend called Tom.",
        "person.friend.tom.home": "The user's friend Tom lives in London.",
        "person.friend.jack": "The user has a friend called Jack.",
        "person.friend.jack.job": "The user's friend Jack is a chef.",
    }


# -- values are clean ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slot", "expected"),
    [
        ("I live in Pasadena now.", "user.home", "The user lives in Pasadena."),
        ("i live in pasadena these days", "user.home", "The user lives in Pasadena."),
        ("i live in pasadena and stuff", "user.home", "The user lives in Pasadena."),
        ("I live in Pasadena!!", "user.home", "The user lives in Pasadena."),
        ("i live in pasadena since 2019", "user.home", "The user lives in Pasadena."),
        ("i've lived in pasadena for five years", "user.home", "The user lives in Pasadena."),
        ("i love jazz a lot", "pref.jazz", "The user loves jazz."),
        ("I love jazz, especially Miles Davis.", "pref.jazz", "The user loves jazz."),
        ("i like jazz because it's relaxing", "pref.jazz", "The user likes jazz."),
        ("I work at Google as a designer", "user.employer", "The user works at Google."),
        ("i live in new york city", "user.home", "The user lives in New York City."),
        ("i'm from the usa", "user.origin", "The user is from the USA."),
        ("my name is anna by the way", "user.name", "The user's name is Anna."),
        ("call me max from now on", "user.name", "The user's name is Max."),
    ],
)
def test_values_are_clean(text: str, slot: str, expected: str) -> None:
    assert facts(text).get(slot) == expected


def test_capitals_from_whisper_are_kept() -> None:
    assert facts("I work at McKinsey")["user.employer"] == "The user works at McKinsey."
    assert facts("my name is DeShawn")["user.name"] == "The user's name is DeShawn."


def test_all_caps_text_is_not_trusted_for_names() -> None:
    assert extract("I'M TIRED") == []
    assert facts("MY NAME IS SAM") == {"user.name": "The user's name is Sam."}


def test_returns_fact_objects() -> None:
    got = extract("I love jazz")
    assert got == [Fact("pref.jazz", "The user loves jazz.")]
    with pytest.raises(AttributeError):
        got[0].slot = "x"  # type: ignore[misc]


# -- properties over many generated utterances ---------------------------------------------------

_VOCABULARY = (
    "i im i'm my me you your name is am a the and but so like love hate live in from work at for "
    "sister dog called named what where do know remember if said she he they it not don't "
    "boston sam anna jazz coffee tired nurse 34 years old next week on friday to going have got "
    "favourite colour blue allergic peanuts moved pasadena please maybe think would ? . ,"
)
_WORDS = _VOCABULARY.split()


def _random_utterances(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 14))) for _ in range(n)]


def test_never_crashes_and_notes_are_well_formed() -> None:
    for text in _random_utterances(3000, seed=1):
        got = extract(text)
        slots = [f.slot for f in got]
        assert len(slots) == len(set(slots)), text
        for f in got:
            assert f.slot and f.slot == f.slot.strip() and " " not in f.slot, (text, f)
            assert f.text.startswith("The user"), (text, f)
            assert f.text.endswith("."), (text, f)
            assert "  " not in f.text, (text, f)
        assert parse_command(text) is None or parse_command(text).action in (
            "recall_all",
            "forget",
        )


def test_questions_never_yield_facts() -> None:
    rng = random.Random(2)
    starts = ["what", "where", "who", "do you know", "can you tell me", "is", "how", "did i say"]
    for text in _random_utterances(1000, seed=3):
        text = text.replace(" .", "").replace(" ?", "")  # one sentence
        question = f"{rng.choice(starts)} {text}"
        assert extract(question) == [], question
        assert extract(f"{text}?".strip()) == [] or not text.strip(), text


def test_hypotheticals_never_yield_facts() -> None:
    for text in _random_utterances(1000, seed=4):
        for lead in ("if", "imagine", "suppose", "what if", "i wish"):
            assert extract(f"{lead} {text}") == [], f"{lead} {text}"


def test_reported_speech_never_yields_facts() -> None:
    statements = [u for u, _ in POSITIVE if not u.lower().startswith(("remember", "can you"))]
    for who in ("my friend said", "she thinks", "my mom told me", "he says"):
        for s in statements:
            assert extract(f"{who} {s}") == [], f"{who} {s}"


def test_lower_case_and_unpunctuated_give_the_same_facts() -> None:
    for text, expected in POSITIVE:
        plain = text.lower().rstrip(".!?")
        got = facts(plain)
        # Only names may be lost without capitals (an unknown lower-case word is not a name).
        for slot, note in got.items():
            assert expected.get(slot, "").lower() == note.lower(), (plain, slot, note)


# -- memory commands -----------------------------------------------------------------------------

COMMANDS = [
    ("what do you remember about me", MemoryCommand("recall_all", "")),
    ("What do you know about me?", MemoryCommand("recall_all", "")),
    ("what have I told you", MemoryCommand("recall_all", "")),
    ("what have i told you about myself", MemoryCommand("recall_all", "")),
    ("tell me what you know about me", MemoryCommand("recall_all", "")),
    ("hey what do you remember about me", MemoryCommand("recall_all", "")),
    ("so what did i tell you so far", MemoryCommand("recall_all", "")),
    ("forget what I said about my sister", MemoryCommand("forget", "my sister")),
    ("forget what i told you about my ex", MemoryCommand("forget", "my ex")),
    ("Forget about my sister.", MemoryCommand("forget", "my sister")),
    ("forget that I live in Boston", MemoryCommand("forget", "live in boston")),
    ("forget that my sister lives in boston", MemoryCommand("forget", "my sister lives in boston")),
    ("please forget my address", MemoryCommand("forget", "my address")),
    ("can you forget my ex's name please", MemoryCommand("forget", "my ex's name")),
    ("delete what you know about my job", MemoryCommand("forget", "my job")),
    ("erase everything i told you about my ex", MemoryCommand("forget", "my ex")),
    ("forget everything you know about me", MemoryCommand("forget", "everything")),
    ("forget what you know about me", MemoryCommand("forget", "everything")),
]


@pytest.mark.parametrize(("text", "expected"), COMMANDS, ids=[t for t, _ in COMMANDS])
def test_memory_commands(text: str, expected: MemoryCommand) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I forgot my keys",
        "i forgot my keys again",
        "do you remember my birthday",
        "what did i tell you about my sister",
        "what's my sister's name",
        "forget it",
        "forget about it",
        "oh forget it",
        "never mind, forget that",
        "don't forget my birthday",
        "never forget me",
        "i always forget my name",
        "forget everything",
        "my name is sam",
        "I love jazz",
        "",
        "remember that i'm allergic to nuts",
    ],
)
def test_not_memory_commands(text: str) -> None:
    assert parse_command(text) is None


def test_commands_are_not_facts() -> None:
    for text, _ in COMMANDS:
        assert extract(text) == [], text
