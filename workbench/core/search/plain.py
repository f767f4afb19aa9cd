"""Plain words: common English and clinical words typo correction never touches.

Typo correction looks for title words one or two edits away from a word no title uses. For a
real word that is wrong: "fast AF" became "plaster cast", "burr hole" "burn", "prem" "pre".
``fixtures/search/plain-words.txt`` lists such words (everyday English, and clinical words the
titles do not use); they are read as typed. Built into ``search_plain_words`` and looked up by
primary key when a word is about to be corrected: nothing is held in memory.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

PLAIN_FILE = "search/plain-words.txt"


def read_plain_words(path: Path) -> list[str]:
    """The words of the file: any number a line, lower case letters only; # starts a comment."""
    words: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for word in line.split("#", 1)[0].split():
            if not word.isalpha() or not word.islower():
                raise ValueError(f"{path}:{number}: {word!r} is not a lower-case word")
            words.append(word)
    return words


def build_plain_words(conn: sqlite3.Connection, fixtures: Path) -> list[str]:
    """Fill search_plain_words at build time; returns problems (a broken file)."""
    path = fixtures / PLAIN_FILE
    if not path.exists():
        return []
    try:
        words = read_plain_words(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        return [str(exc)]   # search still works: it corrects more than it should
    conn.executemany("INSERT OR IGNORE INTO search_plain_words (word) VALUES (?)", ((w,) for w in words))
    return []


def plain_word(conn: sqlite3.Connection, word: str) -> bool:
    """Whether ``word`` is a plain word (or a plural of one): read as typed, never corrected."""
    forms = [word] + ([word[:-1]] if word.endswith("s") and len(word) > 3 else [])
    try:
        row = conn.execute(f"SELECT 1 FROM search_plain_words WHERE word IN ({','.join('?' * len(forms))})",
                           forms).fetchone()
    except sqlite3.OperationalError:
        return False   # a database from before the list
    return row is not None
