"""Long-term memory: what the user said, per profile, searchable and under the user's control."""

from assistant.memory.store import Memory, MemoryStore

__all__ = ["Memory", "MemoryStore"]
