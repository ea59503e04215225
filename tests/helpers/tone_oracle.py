"""The tone reader as it was before cues were read apart (deskterm db07b85): the reference.

`assist.tone.read_tone` now reads a subject's and a body's cues separately (`Cues`) so
the parse step can read them before anyone knows whether a mail opens a ticket. This
is the old reader of subject and body as one text, kept only to prove the two agree.
"""

from __future__ import annotations

from deskterm.assist import tone as t


def old_read_tone(body: str, subject: str = "") -> t.Tone:
    text = body[: t.MAX_CHARS]
    if ">" in text:
        text = t._QUOTED.sub("", text)
    lowered = f"{subject}\n{text}".lower()
    spaced = t._ENDS.sub(
        t._BREAK, t._SPACED.sub(" ", lowered.replace("a.s.a.p", "asap").replace("’", "'"))
    )
    tokens = spaced.replace(t._BREAK, f" {t._BREAK} ").split()
    present = set(tokens)
    urgent = t._phrases(tokens, present, t._URGENT, t._CALM)
    upset = t._phrases(tokens, present, t._UPSET, t._CALM_UPSET)
    if not lowered.isascii():
        urgent += t._substrings(lowered, t._URGENT_CJK, t._CALM_CJK)
        upset += t._substrings(lowered, t._UPSET_CJK, t._CALM_UPSET_CJK)
    if "!!!" in text:
        upset.append("!!!")
    shout = t._SHOUT.search(text)
    if shout is not None:
        upset.append(shout.group(0).lower().rstrip("!?.,"))
    return t.Tone(t._top(urgent), t._top(upset))
