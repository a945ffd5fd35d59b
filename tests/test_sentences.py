"""Splitting streamed LLM text into speakable sentences."""

from __future__ import annotations

from assistant.sentences import SentenceSplitter, speakable


def split(deltas: list[str]) -> list[str]:
    s = SentenceSplitter()
    out = [x for d in deltas for x in s.add(d)]
    return out + list(s.finish())


def test_sentences_come_out_as_soon_as_the_next_begins():
    s = SentenceSplitter()
    assert list(s.add("Hello there")) == []
    assert list(s.add(". How")) == ["Hello there."]
    assert list(s.add(" are you?")) == []
    assert list(s.finish()) == ["How are you?"]


def test_token_sized_deltas():
    text = "I'm fine, thanks! The weather is nice today. Shall we go out?"
    deltas = [text[i : i + 3] for i in range(0, len(text), 3)]
    assert split(deltas) == ["I'm fine, thanks!", "The weather is nice today.", "Shall we go out?"]


def test_abbreviations_do_not_split():
    assert split(["Dr. Smith is here. He waits."]) == ["Dr. Smith is here.", "He waits."]


def test_markdown_and_emoji_are_not_read_out():
    assert speakable("**Sure!** Here's a *list*: 😀") == "Sure! Here's a list:"
    assert split(["- first item\n- second item"]) == ["first item second item"]
    assert speakable("1. Call snake_case mom") == "Call snake_case mom"


def test_lower_case_sentences_split_too():
    assert split(["that's nice. i'm sam, hi! ok"]) == ["that's nice.", "i'm sam, hi!", "ok"]


def test_initials_numbers_and_abbreviations_do_not_split():
    assert split(["J. R. R. Tolkien wrote 3 books, e.g. this one. Yes."]) == [
        "J. R. R. Tolkien wrote 3 books, e.g. this one.",
        "Yes.",
    ]
    assert split(["Version 2. Then more."]) == ["Version 2. Then more."]


def test_first_clause_is_cut_early_when_asked():
    s = SentenceSplitter(first_clause_words=3)
    assert list(s.add("Well, that")) == []
    assert list(s.add(" is a fine question, and")) == ["Well, that is a fine question,"]
    # Only the first chunk is cut at a clause; later ones wait for the sentence end.
    assert list(s.add(" the answer, I think, is yes. ")) == []
    assert list(s.add("Bye.")) == ["and the answer, I think, is yes."]
    assert list(s.finish()) == ["Bye."]


def test_run_on_text_is_cut_at_a_space():
    out = split(["word " * 100])
    assert len(out) >= 2 and all(len(x) <= 200 for x in out)
    assert " ".join(out).split() == ["word"] * 100


def test_blank_lines_split():
    assert split(["Title\n\nThe body"]) == ["Title", "The body"]


def test_nothing_speakable():
    assert speakable("... ** 🎉") == ""
    assert split(["", "  "]) == []


def test_the_first_chunk_is_cut_the_moment_it_ends():
    s = SentenceSplitter(first_clause_words=3)
    assert list(s.add("Turn on the lamp")) == []
    assert list(s.add(".")) == ["Turn on the lamp."]  # not waiting for the next word
    assert list(s.add(" Now it")) == []
    assert list(s.add(" is on.")) == []  # later chunks do wait: "on." could go on as "on.5"
    assert list(s.finish()) == ["Now it is on."]
    s = SentenceSplitter(first_clause_words=3)
    assert list(s.add("Well, that is fine,")) == ["Well, that is fine,"]


def test_the_first_chunk_is_not_cut_inside_numbers_or_abbreviations():
    for deltas, whole in [
        (["There are 1,", "000 of them."], "There are 1,000 of them."),
        (["It is 3.", "5 degrees out."], "It is 3.5 degrees out."),
        (["We meet at 10:", "30 today."], "We meet at 10:30 today."),
        (["Ask Dr.", " Smith."], "Ask Dr. Smith."),
    ]:
        s = SentenceSplitter(first_clause_words=3)
        out = [x for d in deltas for x in s.add(d)] + list(s.finish())
        assert out == [whole], deltas


def test_a_leading_ellipsis_stays_with_the_words_after_it():
    # A reply cut off by a lost server: "… Sorry, …" follows the words already spoken.
    s = SentenceSplitter(first_clause_words=3)
    assert list(s.add("Once upon a time,")) == ["Once upon a time,"]
    assert list(s.add(" … Sorry, I lost it. ")) == []
    assert list(s.finish()) == ["… Sorry, I lost it."]


def test_the_default_first_chunk_is_a_two_word_clause():
    from assistant.config import TtsConfig

    s = SentenceSplitter(TtsConfig().first_clause_words)
    assert list(s.add("I'm sorry, I couldn't")) == ["I'm sorry,"]
    assert list(s.add(" help it.")) == []
    s = SentenceSplitter(TtsConfig().first_clause_words)
    assert list(s.add("Well, that is")) == []  # one word is too little to say alone


def test_a_long_first_sentence_is_cut_before_a_phrase_when_asked():
    s = SentenceSplitter(first_clause_words=2, first_phrase_words=3)
    assert list(s.add("The weather in New York")) == []  # "in" comes after one word only
    assert list(s.add(" is")) == []  # is "is" a whole word yet ("island")?
    assert list(s.add(" mostly")) == ["The weather in New York"]
    assert list(s.add(" sunny. It")) == ["is mostly sunny."]  # later: whole sentences
    assert list(s.add(" is in the sky")) == []
    assert list(s.finish()) == ["It is in the sky"]
    s = SentenceSplitter(first_clause_words=2, first_phrase_words=3)
    out = [c for d in ("I'm", " glad", " to", " hear", " that", ".") for c in s.add(d)]
    assert out == ["I'm glad to hear that."]  # "to" after two words: too little to say alone
    s = SentenceSplitter(first_clause_words=2, first_phrase_words=3)
    assert list(s.add("Go and buy milk today")) == []  # "today" is not "to"
    assert list(s.add(" now.")) == ["Go and buy milk today now."]
    s = SentenceSplitter(first_clause_words=2)  # off by default
    assert list(s.add("The weather in New York is mostly")) == []


def test_a_chunk_cut_inside_its_sentence_is_voiced_as_a_phrase_that_goes_on():
    from assistant.sentences import cut_mid_sentence, voiced

    assert voiced("The weather in New York") == "The weather in New York,"
    assert cut_mid_sentence("The weather in New York")
    for whole in ("It is sunny.", "Is it?", "Well,", "He said “yes”"):
        assert voiced(whole) == whole
    assert not cut_mid_sentence("It is sunny.") and not cut_mid_sentence("")


def test_the_default_first_chunk_may_end_before_a_phrase_after_three_words():
    from assistant.config import TtsConfig

    config = TtsConfig()
    s = SentenceSplitter(config.first_clause_words, first_phrase_words=config.first_phrase_words)
    assert list(s.add("I'm just going to make")) == ["I'm just going"]
    # A whole sentence at once (a skill's answer) is said whole: nothing is gained by a cut.
    s = SentenceSplitter(config.first_clause_words, first_phrase_words=config.first_phrase_words)
    assert list(s.add("Timer set for 30 seconds.")) == ["Timer set for 30 seconds."]


def test_a_whole_sentence_that_comes_in_one_piece_is_not_cut_before_a_phrase():
    # The server-lost apology arrives as one delta with a trailing space.
    s = SentenceSplitter(first_clause_words=2, first_phrase_words=3)
    out = list(s.add("Sorry, I lost the connection to my server. "))
    assert out == ["Sorry, I lost the connection to my server."]
    assert list(s.finish()) == []
