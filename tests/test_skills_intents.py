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
