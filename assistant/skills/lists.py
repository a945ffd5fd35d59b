"""Lists: add, remove, read back and clear items; the shopping list unless another is named."""

from __future__ import annotations

import re

from assistant.skills.context import Context, Pending, Reply, capitalise, is_no, join_words, plural
from assistant.skills.intents import Intent


def _split(items: str) -> list[str]:
    """ "eggs, milk and bread" → three items; "salt and pepper" stays one only if said as one."""
    parts = [p.strip() for p in re.split(r",|\band also\b|\bas well as\b|\band\b", items)]
    return [re.sub(r"^(?:some|a few|an|a|the|more)\s+", "", p) for p in parts if p.strip()]


def _title(name: str) -> str:
    return f"your {name} list"


def _ask_items(question: str, name: str, ctx: Context) -> Reply:
    """Ask what to put on a list; the answer is added to it ("no" adds nothing)."""

    def resolve(answer: str) -> Reply | None:
        if is_no(answer):
            return Reply("OK.")
        return handle(Intent("lists", "add", {"item": answer, "list": name}), ctx)

    return Reply(question, Pending(resolve, ctx.clock()))


def handle(intent: Intent, ctx: Context) -> Reply:
    """Carry out a list intent and say what happened."""
    name = intent.slots.get("list") or "shopping"
    item = intent.slots.get("item") or ""
    action = intent.action
    now = ctx.clock()
    if action == "add":
        if not item:
            return _ask_items(f"What should I add to {_title(name)}?", name, ctx)
        added, already = [], []
        for it in _split(item):
            (added if ctx.store.add_item(ctx.profile, name, it, now) else already).append(it)
        parts = []
        if added:
            parts.append(f"Added {join_words(added)} to {_title(name)}.")
        if already:
            verb = "is" if len(already) == 1 else "are"
            parts.append(f"{capitalise(join_words(already))} {verb} already on it.")
        return Reply(" ".join(parts))
    if action == "create":
        count = dict(ctx.store.lists(ctx.profile)).get(name, 0)
        if count:
            return Reply(f"You already have {_title(name)}, with {plural(count, 'item')}.")
        return _ask_items(f"OK, a new list: {name}. What should I put on it?", name, ctx)
    if action == "remove":
        removed, missing = [], []
        for it in _split(item):
            iid = ctx.store.find_item(ctx.profile, name, it)
            if iid is None:
                missing.append(it)
            else:
                ctx.store.delete_item(ctx.profile, iid)
                removed.append(it)
        parts = []
        if removed:
            parts.append(f"Removed {join_words(removed)} from {_title(name)}.")
        if missing:
            verb = "isn't" if len(missing) == 1 else "aren't"
            parts.append(f"{capitalise(join_words(missing))} {verb} on {_title(name)}.")
        return Reply(" ".join(parts))
    if action == "remove_last":
        items = ctx.store.items(ctx.profile, name)
        if not items:
            return Reply(f"{capitalise(_title(name))} is empty.")
        iid, text = items[-1]
        ctx.store.delete_item(ctx.profile, iid)
        return Reply(f"Removed {text} from {_title(name)}.")
    if action == "clear":
        n = ctx.store.clear_list(ctx.profile, name)
        if not n:
            return Reply(f"{capitalise(_title(name))} is already empty.")
        return Reply(f"Cleared {_title(name)}: {plural(n, 'item')} removed.")
    if action == "check":
        if ctx.store.find_item(ctx.profile, name, item) is not None:
            return Reply(f"Yes, {item} is on {_title(name)}.")
        return Reply(f"No, {item} isn't on {_title(name)}.")
    if action == "which":
        lists = ctx.store.lists(ctx.profile)
        if not lists:
            return Reply("You have no lists yet. Try: add milk to my shopping list.")
        said = [f"{n} with {plural(c, 'item')}" for n, c in lists]
        return Reply(f"You have {plural(len(lists), 'list')}: {join_words(said)}.")
    items = [text for _, text in ctx.store.items(ctx.profile, name)]
    if not items:
        return Reply(f"{capitalise(_title(name))} is empty.")
    return Reply(
        f"{capitalise(_title(name))} has {plural(len(items), 'item')}: {join_words(items)}."
    )
