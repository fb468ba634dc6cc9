"""Answers: the cited prompt, the abstain/search-only policy, streaming from an OpenAI-compatible API, secrets."""
