"""Business knowledge kept as data in `knowledge/`, loaded and validated at start."""

from bot.knowledge.loader import Knowledge, KnowledgeError, load_knowledge

__all__ = ["Knowledge", "KnowledgeError", "load_knowledge"]
