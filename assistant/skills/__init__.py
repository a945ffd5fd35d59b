"""Everyday skills answered without the language model: time, timers, reminders, lists, notes."""
