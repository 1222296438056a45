"""Question answering over the knowledge base: normalisation, retrieval, cited answers.

- :mod:`bot.knowledge.normalize` turns what members type into one comparable form;
- :mod:`bot.knowledge.base` loads and validates the entries in ``kb/*.toml``;
- :mod:`bot.knowledge.index` keeps an SQLite FTS5 index of them and answers questions.
"""
