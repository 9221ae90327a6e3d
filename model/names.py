"""Name-keyed arguments are checked: a misspelt name is an error that names it and lists the
known ones (with the closest match), never silently ignored."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UnknownNameError(KeyError, ValueError):
    """A name (reward, parameter, column, outcome ...) that the function does not know.

    A ``KeyError`` (so ``mapping.get`` and ``except KeyError`` keep working) and a ``ValueError``
    (it is a bad argument), printed without the quotes ``KeyError`` adds."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def known_list(known: Iterable[str], unknown: Iterable[str] = ()) -> str:
    """``"known: 'a', 'b' (did you mean 'a'?)"``: the known names, sorted, with the closest match
    (ignoring case) to each unknown name."""
    known = sorted(str(k) for k in known)
    text = "known: " + (", ".join(f"'{k}'" for k in known) if known else "none")
    folded = {k.casefold(): k for k in known}  # 'SQ' suggests 'sq'
    hints = [folded[m] for u in unknown
             for m in difflib.get_close_matches(str(u).casefold(), folded, n=1, cutoff=0.6)]
    if hints:
        text += f" (did you mean {', '.join(repr(h) for h in dict.fromkeys(hints))}?)"
    return text


def unknown_message(what: str, unknown: Iterable[str], known: Iterable[str]) -> str:
    """``"<what> 'x' is unknown; known: 'a', 'b' (did you mean 'a'?)"`` for one or more names."""
    unknown = [str(u) for u in unknown]
    names = ", ".join(f"'{u}'" for u in unknown)
    return f"{what} {names} {'is' if len(unknown) == 1 else 'are'} unknown; {known_list(known, unknown)}"


def unknown_names(given: Iterable[str], known: Iterable[str]) -> list[str]:
    """The names in ``given`` that are not in ``known``, in the order given, each once."""
    known = set(known)
    return [g for g in dict.fromkeys(given) if g not in known]


def check_names(what: str, given: Iterable[str], known: Iterable[str],
                error: type[Exception] = UnknownNameError) -> None:
    """Raise ``error`` naming every name of ``given`` missing from ``known`` and listing ``known``."""
    known = list(known)
    bad = unknown_names(given, known)
    if bad:
        raise error(unknown_message(what, bad, known))
