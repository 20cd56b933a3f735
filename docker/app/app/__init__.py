"""The system under test: a small FastAPI chat backend (users, conversations, messages, documents)."""
