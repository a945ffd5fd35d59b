"""Notes: "take a note: …", "read my notes", "delete my notes"."""

from __future__ import annotations

from datetime import datetime

from assistant.skills import times
from assistant.skills.context import Context, Pending, Reply, capitalise, is_yes, second_person
from assistant.skills.intents import Intent


def handle(intent: Intent, ctx: Context) -> Reply:
    """Carry out a notes intent and say what happened."""
    now = ctx.now()
    if intent.action == "add":
        text = intent.slots.get("text", "").strip()
        if not text:
            return Reply("What should the note say?")
        ctx.store.add_note(ctx.profile, text, ctx.clock())
        return Reply(f"Noted: {second_person(text)}.")
    notes = ctx.store.notes(ctx.profile)
    if intent.action == "clear":
        if not notes:
            return Reply("You have no notes.")

        def resolve(answer: str) -> Reply | None:
            if is_yes(answer):
                n = ctx.store.clear_notes(ctx.profile)
                return Reply(f"Deleted {n} notes." if n != 1 else "Deleted your note.")
            return Reply("OK, I kept your notes.")

        count = "your note" if len(notes) == 1 else f"all {len(notes)} notes"
        return Reply(f"Delete {count}?", Pending(resolve, ctx.clock()))
    if not notes:
        return Reply("You have no notes.")
    said = []
    for created, text in notes[-10:]:
        at = datetime.fromtimestamp(created, ctx.zone)
        said.append(f"{times.day_words(at, now).replace('today', 'Today')}: "
                    f"{second_person(text)}.")  # fmt: skip
    head = "You have one note. " if len(notes) == 1 else f"You have {len(notes)} notes. "
    if len(notes) > 10:
        head += "The last ten: "
    return Reply(head + " ".join(capitalise(s) for s in said))
