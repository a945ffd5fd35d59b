"""The intent layer: which skill and action a sentence asks for, and what is left to the LLM."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.skills.intents import Recogniser, normalise


@pytest.fixture(scope="module")
def rec() -> Recogniser:
    r = Recogniser()
    r.warm_up()
    return r


@pytest.mark.parametrize(
    ("text", "skill", "action"),
    [
        ("What time is it?", "time", "now"),
        ("what's the date today", "time", "date"),
        ("What time is it in Tokyo?", "time", "place"),
        ("what day is christmas this year", "time", "day_of"),
        ("how many days until christmas", "time", "until"),
        ("is it friday today", "time", "is_day"),
        ("Set a timer for three hours and ten minutes.", "timers", "start"),
        ("set a pizza timer for 10 minutes", "timers", "start"),
        ("start a timer", "timers", "start"),
        ("pause the timer", "timers", "pause"),
        ("resume my timer", "timers", "resume"),
        ("add five minutes to the timer", "timers", "add"),
        ("take two minutes off the pizza timer", "timers", "subtract"),
        ("how long is left on my timer", "timers", "status"),
        ("how much time is left", "timers", "status"),
        ("cancel all timers", "timers", "cancel_all"),
        ("stop the tea timer", "timers", "cancel"),
        ("remind me to call mom tomorrow at 9", "reminders", "set"),
        ("in twenty minutes check the oven", "reminders", "set"),
        ("wake me up at 6 am", "reminders", "set"),
        ("set an alarm for half past seven", "reminders", "set"),
        ("what reminders do I have", "reminders", "list"),
        ("what's on my calendar tomorrow", "reminders", "list"),
        ("do i have any alarms set", "reminders", "list"),
        ("cancel my alarm", "reminders", "cancel"),
        ("delete the reminder to call mom", "reminders", "cancel"),
        ("Add oat milk to my shopping list", "lists", "add"),
        ("put eggs on the list", "lists", "add"),
        ("add tent to my camping list", "lists", "add"),
        ("remove eggs from my shopping list", "lists", "remove"),
        ("what's on my shopping list", "lists", "read"),
        ("read me my to do list", "lists", "read"),
        ("clear my shopping list", "lists", "clear"),
        ("what lists do i have", "lists", "which"),
        ("we're out of coffee", "lists", "add"),
        ("what do I still need to buy", "lists", "read"),
        ("how does my day look", "reminders", "list"),
        ("am I free at 3 pm tomorrow", "reminders", "list"),
        ("remind me what I'm doing on sunday afternoon", "reminders", "list"),
        ("I need to get up at 6 tomorrow", "reminders", "set"),
        ("let's set a timer for 5 minutes", "timers", "start"),
        ("what time is it in cleveland", "time", "place"),
        ("is bread on my shopping list", "lists", "check"),
        ("what is the date today in japan", "time", "date"),
        ("my reminders", "reminders", "list"),
        ("take a note: the wifi password is under the router", "notes", "add"),
        ("make a note that the plumber comes on monday", "notes", "add"),
        ("read my notes", "notes", "read"),
        ("delete all my notes", "notes", "clear"),
    ],
)
def test_commands_reach_their_skill(rec, text, skill, action):
    intent = rec.recognise(text)
    assert intent is not None, text
    assert (intent.skill, intent.action) == (skill, action), text


@pytest.mark.parametrize(
    "text",
    [
        "tell me a joke",
        "what's the weather like in new york",
        "turn off the kitchen lights",
        "I had a great time at the party",
        "how are you today",
        "what is the meaning of life",
        "play some jazz",
        "pause the music",
        "my sister is called anna",
        "do you remember what I told you about my trip",
        "forget everything about my job",
        "I love that song",
        "I'm out of ideas",
        "we need to talk",
        "can you remind me what we talked about yesterday",
        "do you think I should go to the meeting tomorrow",
        "what's your favourite time of year",
        "tell me a story about a magic list",
        "I need to wake up earlier",
        "I hate alarms",
        "what's the date of the next full moon",
        "set the table for two",
        "what's on your mind",
        "what's on TV tonight",
        "tell me about timers in javascript",
        "I have a meeting tomorrow and I'm nervous",
        "my alarm didn't go off this morning and I was late",
        "the meeting went well today",
        "we had dinner at 8",
        "my list of goals for this year is long",
        "every day I wake up at 7",
    ],
)
def test_ordinary_talk_goes_to_the_llm(rec, text):
    assert rec.recognise(text) is None, text


# Phrasing families added for the SLURP errors, checked on sentences of their own (none of these
# is a benchmark sentence), so the rules are known to generalise beyond the examples they came from.
@pytest.mark.parametrize(
    ("text", "skill", "action"),
    [
        ("cancel lunch tomorrow", "reminders", "cancel"),
        ("call off the picnic on saturday", "reminders", "cancel"),
        ("delete the dentist appointment I have scheduled for friday", "reminders", "cancel"),
        ("please remove the remainder about the bins", "reminders", "cancel"),  # a mishearing
        ("what time does the wedding start", "reminders", "list"),
        ("is Tom's graduation on the fifth of may", "reminders", "list"),
        ("where is the reunion being held", "reminders", "list"),
        ("what's happening between two and four tomorrow", "reminders", "list"),
        ("what do i have to do tomorrow", "reminders", "list"),
        ("are the tickets booked for friday", "reminders", "list"),
        ("review my alarms", "reminders", "list"),
        ("tell me about my reminders", "reminders", "list"),
        ("create an alert for 6 am", "reminders", "set"),
        ("tell me when it's half past four", "reminders", "set"),
        ("I want to be notified about the rent on the first of every month", "reminders", "set"),
        ("I have an appointment at 3 pm on thursday", "reminders", "set"),
        ("tomorrow at noon I need to pick up the kids", "reminders", "set"),
        ("on friday i have to call the bank", "reminders", "set"),
        ("tell me the football score in two hours", "reminders", "set"),
        ("block out two hours on friday afternoon", "reminders", "set"),
        ("the plumber comes on the 3rd of june at 10, put it in the calendar", "reminders", "set"),
        ("what is the date next friday", "time", "day_of"),
        ("when is thanksgiving this year", "time", "day_of"),
        ("what day does new year's eve fall on", "time", "day_of"),
        ("is today the fourth of july", "time", "date"),
        ("i'd like to know what time it is", "time", "now"),
        ("tell me the current month and year", "time", "date"),
        ("how many sundays are there in february", "time", "count_days"),
        ("if it is 9 am in new york what time is it in paris", "time", "zones"),
        ("it's 6 pm in eastern standard time", "time", "zones"),
        ("what's 10 am utc in india", "time", "zones"),
        ("convert 5 pm gmt+2 to utc", "time", "zones"),
        ("delete my to-do's for today", "lists", "clear"),
        ("make a list about the concert schedule", "lists", "create"),
        ("remind me how many lists i have", "lists", "which"),
        ("Olly, could you please cancel dinner tonight", "reminders", "cancel"),
        ("Pause the tires.", "timers", "pause"),  # how Whisper tiny.en hears "timers" at times
        # Actions that once did the opposite of what was asked:
        ("please don't wake me up on saturday", "reminders", "cancel"),
        ("switch the morning alarm off", "reminders", "cancel"),
        ("i dont want any alarms tomorrow", "reminders", "cancel"),
        ("did i set an alarm for the train", "reminders", "list"),
        ("i'd like to see my set alarms", "reminders", "list"),
        ("read what is on the camping list", "lists", "read"),
        ("anything else left on my list", "lists", "read"),
        ("throw out the packing list", "lists", "clear"),
        ("wipe the dentist appointment I have booked", "reminders", "cancel"),
    ],
)
def test_phrasing_families_generalise(rec, text, skill, action):
    intent = rec.recognise(text)
    assert intent is not None, text
    assert (intent.skill, intent.action) == (skill, action), text


# Traps for those broader rules: talk about occasions, times, lists and memory stays with the LLM.
@pytest.mark.parametrize(
    "text",
    [
        "what do you remember about me",
        "forget what I said about my sister",
        "forget everything you know about me",
        "forget what I told you about the dentist",
        "do you remember my birthday",
        "what did I tell you about my trip",
        "what's today's forecast",
        "what is todays weather in berlin",
        "play my workout playlist",
        "play the birthday song",
        "tell me a joke about dinner",
        "what time does the sun set today",
        "who won the game last night",
        "how do I cancel my netflix subscription",
        "I had dinner with tom yesterday",
        "what should I cook for dinner tonight",
        "can you give me a list of good books",
        "write a list of pros and cons",
        "what time zone should I use for my meeting",
        "tell me about the history of halloween",
        "what's a good gift for a birthday party",
        "clear the table",
        "is there a party in the song",
        "are there any concerts you would recommend",
        "what's happening in the news today",
        "when is your birthday",
        "I need to buy a new car, any advice",
        "put on some music for dinner",
        "the party was on saturday and it was great",
        "tomorrow I need to relax, I am so tired",
        "every day I have to walk the dog",
        "what features do you have planned",
        "today I had a meeting with george",
        "show me how to cook rice in 10 minutes",
        "give me a workout i can do in 20 minutes",
        "what is 7 times 8 in binary",
        "convert 5 miles to kilometers",
    ],
)
def test_talk_near_the_new_rules_goes_to_the_llm(rec, text):
    assert rec.recognise(text) is None, text


def test_slots(rec):
    i = rec.recognise("set a timer for three hours and ten minutes")
    assert i and i.slots["duration"] == timedelta(hours=3, minutes=10)
    i = rec.recognise("set a pizza timer for 10 minutes")
    assert i and i.slots["name"] == "pizza" and i.slots["duration"] == timedelta(minutes=10)
    i = rec.recognise("add oat milk to my shopping list")
    assert i and i.slots == {"item": "oat milk", "list": "shopping"}
    i = rec.recognise("put a tent on the camping list")
    assert i and i.slots == {"item": "tent", "list": "camping"}
    i = rec.recognise("add bread to the list")
    assert i and i.slots["list"] == "shopping"  # the default list
    i = rec.recognise("take a note: buy a new kettle")
    assert i and i.slots["text"] == "buy a new kettle"
    # Words that point at a timer are no name: the bench's device path heard "set a timer for 5
    # minutes" as "We'll set it timer for five minutes." and made "the it timer"; "cancel that
    # timer" said "I can't find a that timer."
    for text, action in [("we'll set it timer for five minutes", "start"),
                         ("cancel that timer", "cancel"),
                         ("how long is left on this timer", "status")]:  # fmt: skip
        i = rec.recognise(text)
        assert i and (i.skill, i.action) == ("timers", action) and i.slots["name"] == "", (text, i)


def test_normalise():
    assert normalise("Hey Siri, set a timer for ten minutes!") == "set a timer for 10 minutes"
    assert normalise("Add eggs, milk and bread to the list.") == (
        "add eggs and milk and bread to the list"
    )
    assert normalise("It’s 6:30.") == "it's 6:30"


def test_recognition_is_fast(rec):
    import time

    started = time.perf_counter()
    for _ in range(20):
        rec.recognise("set a timer for three hours and ten minutes")
        rec.recognise("tell me about the history of rome")
    assert (time.perf_counter() - started) / 40 < 0.05
