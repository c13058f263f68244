"""The characters a regular expression can start a match with, read from its parse tree: a pure
helper with no project imports. None when it cannot tell (a wildcard or a class such as \\w at
the start, or a pattern that can match the empty string)."""

import re._constants as sre
import re._parser as sre_parse

_ZERO_WIDTH = {sre.ASSERT, sre.ASSERT_NOT, sre.AT}
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT}


def _first(items) -> tuple[set[str] | None, bool]:
    """(the first characters of `items`, whether `items` can match the empty string)."""
    found: set[str] = set()
    for op, value in items:
        if op in _ZERO_WIDTH:
            continue
        if op is sre.LITERAL:
            return found | {chr(value)}, False
        if op is sre.IN:
            chars = _class(value)
            return (None if chars is None else found | chars), False
        if op is sre.SUBPATTERN:
            chars, empty = _first(value[-1])
        elif op is sre.BRANCH:
            branches = [_first(branch) for branch in value[1]]
            if any(chars is None for chars, _ in branches):
                return None, False
            chars = set().union(*(chars for chars, _ in branches))
            empty = any(empty for _, empty in branches)
        elif op in _REPEATS:
            low, _, sub = value
            chars, empty = _first(sub)
            empty = empty or low == 0
        else:
            return None, False
        if chars is None:
            return None, False
        found |= chars
        if not empty:
            return found, False
    return found, True


def _class(members) -> set[str] | None:
    chars: set[str] = set()
    for op, value in members:
        if op is sre.LITERAL:
            chars.add(chr(value))
        elif op is sre.RANGE and value[1] - value[0] < 5000:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        else:
            return None
    return chars


def first_characters(pattern: str) -> frozenset[str] | None:
    chars, empty = _first(sre_parse.parse(pattern))
    return None if chars is None or empty else frozenset(chars)
