"""Dates as customers write them (pure), in English, German, French and Spanish, resolved against an explicit
``as_of`` (the day the message was written, in the customer's time zone): weekdays ("next Friday", "el próximo
viernes"), "end of month", "within 10 days", "next week", a weekly payment run ("on Thursdays"), "17.04.",
"le 24 avril", "April 24th", ISO, and d/m/y or m/d/y as the customer's locale writes them.

Conventions (the docs repeat them): a weekday means the first such day after ``as_of``; "next week" is the
Friday of the next week; "end of the week" that week's Friday; a date written without a year is the next one
on or after ``as_of`` unless it lies at most 60 days before it (a payment already made)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_MONTHS = {
    1: "january jan januar jänner janvier enero ene", 2: "february feb februar février fevrier febrero",
    3: "march mar märz maerz mars marzo", 4: "april apr avril abril abr", 5: "may mai mayo",
    6: "june jun juni juin junio", 7: "july jul juli juillet julio", 8: "august aug août aout agosto ago",
    9: "september sep sept septembre septiembre setiembre", 10: "october oct oktober okt octobre octubre",
    11: "november nov novembre noviembre", 12: "december dec dezember dez décembre decembre diciembre dic",
}
MONTH = {name: n for n, names in _MONTHS.items() for name in names.split()}
_WEEKDAYS = {
    0: "monday mon montag lundi lunes", 1: "tuesday tue tues dienstag mardi martes",
    2: "wednesday wed mittwoch mercredi miércoles miercoles", 3: "thursday thu thurs donnerstag jeudi jueves",
    4: "friday fri freitag vendredi viernes", 5: "saturday sat samstag sonnabend samedi sábado sabado",
    6: "sunday sun sonntag dimanche domingo",
}
WEEKDAY = {name: n for n, names in _WEEKDAYS.items() for name in names.split()}
_NUMBERS = {w: n for n, words in {
    1: "one a an ein eine einer einem einen eins un une uno", 2: "two zwei deux dos", 3: "three drei trois tres",
    4: "four vier quatre cuatro", 5: "five fünf cinq cinco", 6: "six sechs seis", 7: "seven sieben sept siete",
    8: "eight acht huit ocho", 10: "ten zehn dix diez", 14: "fourteen vierzehn quatorze catorce",
    15: "fifteen fünfzehn quinze quince", 20: "twenty zwanzig vingt veinte", 30: "thirty dreißig trente treinta",
}.items() for w in words.split()}

_MONTH_ALT = "|".join(sorted(MONTH, key=len, reverse=True))
_WD_NAMES = [w for w in WEEKDAY if len(w) > 3]
_WD_ALT = "|".join(sorted(_WD_NAMES, key=len, reverse=True))
_NUM = r"(\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + ")"


@dataclass(frozen=True)
class DateMention:
    date: dt.date
    start: int
    end: int
    evidence: str
    absolute: bool


def _num(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word.lower()]


def _after(as_of: dt.date, weekday: int) -> dt.date:
    return as_of + dt.timedelta(days=(weekday - as_of.weekday() - 1) % 7 + 1)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _no_year(as_of: dt.date, month: int, day: int) -> dt.date | None:
    try:
        d = dt.date(as_of.year, month, day)
    except ValueError:
        return None
    if d < as_of - dt.timedelta(days=60):
        try:
            return dt.date(as_of.year + 1, month, day)
        except ValueError:
            return None
    return d


def _ymd(y: int, m: int, d: int) -> dt.date | None:
    if y < 100:
        y += 2000
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


_RX: list[tuple[str, re.Pattern[str]]] = [(k, re.compile(p, re.I)) for k, p in [
    ("iso", r"(?<![\w.])((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?![\w-])"),
    ("dot", r"(?<![\w.,])(\d{1,2})\.\s?(\d{1,2})\.(?:\s?((?:19|20)?\d{2}))?(?!\d)(?!,\d)(?!\.\d)"),
    ("slash", r"(?<![\w/.])(\d{1,2})/(\d{1,2})(?:/((?:19|20)?\d{2}))?(?![\w/])"),
    ("dmy_words", rf"(?<!\w)(\d{{1,2}})(?:st|nd|rd|th|er|\.|º)?\s*(?:of\s+|de\s+)?({_MONTH_ALT})\.?(?:\s+(?:de\s+)?((?:19|20)\d{{2}}))?(?!\w)"),
    ("mdy_words", rf"(?<!\w)({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+((?:19|20)\d{{2}}))?(?![\w.]\d)"),
    ("eom", r"\b(?:(?:by |before |at |until |to )?(?:the )?end of (?:the |this )?month|eom|monatsende|ende (?:des |dieses )?monats|"
            r"(?:à la |d'ici la |avant la )?fin (?:du |de )mois|(?:a |para |antes de )?(?:finales|fin|final) de(?:l)? mes)\b"),
    ("eonm", r"\b(?:end of next month|ende (?:des )?nächsten monats|fin du mois prochain|fin(?:al)? del (?:mes )?próximo(?: mes)?|finales del próximo mes)\b"),
    ("eow", r"\b(?:(?:by |at )?(?:the )?end of (?:the |this )?week|ende (?:der|dieser) woche|(?:en |à la )?fin de (?:la )?semaine|(?:a )?(?:finales|fin|final) de (?:la |esta )?semana)\b"),
    ("nextweek", r"\b(?:next week|nächste(?:n)? woche|(?:la )?semaine prochaine|la próxima semana|la semana (?:que viene|próxima))\b"),
    ("within", rf"\b(?:within|in|innerhalb (?:von |der nächsten )?|in den nächsten|binnen|sous|dans(?: les)?|d'ici|en(?: los próximos)?|dentro de(?: los próximos)?)\s+{_NUM}\s*(days?|business days?|tagen|tage|werktagen|jours(?: ouvrés)?|d[ií]as(?: hábiles)?|weeks?|wochen?|semaines?|semanas?)\b"),
    ("dayafter", r"\b(?:day after tomorrow|übermorgen|après-demain|pasado mañana)\b"),
    ("tomorrow", r"\b(?:tomorrow|(?<!guten )morgen|demain|mañana)\b(?! (?:morning|früh))"),
    ("today", r"\b(?:today|heute|aujourd'hui|hoy)\b"),
    ("weekly", rf"\b(?:on |every )?({'|'.join(n + 's' for n in _WD_NAMES if n.endswith('day'))})\b|\b({'|'.join(n + 's' for n in _WD_NAMES if n.endswith('tag'))})\b|\b(?:tous les|chaque) ({'|'.join(n for n in _WD_NAMES if n.endswith('di'))})s?\b|\b(?:los|cada) ({'|'.join(n for n in _WD_NAMES if n.endswith(('es', 'go', 'do')))})\b(?! próximo| que viene| \d)"),
    ("weekday", rf"\b({_WD_ALT})\b"),
    ("dom", r"\b(?:on the|by the|am|bis zum|le|au|el|para el|hasta el)\s+(\d{1,2})(?:st|nd|rd|th|\.|er)?(?!\s*[./\d%]|\s*(?:" + _MONTH_ALT + r"|de\b|of\b|days?|jours|tagen|días))"),
]]


def mentions(text: str, *, as_of: dt.date, month_first: bool = False) -> list[DateMention]:
    """Every date the text names, resolved against ``as_of``, in the order written (overlaps: the first
    pattern of the list wins). ``month_first``: 4/5/2026 is 5 April (en-US) rather than 4 May."""
    s = text or ""
    taken: list[tuple[int, int]] = []
    out: list[DateMention] = []
    for kind, rx in _RX:
        for m in rx.finditer(s):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            d = _resolve(kind, m, as_of, month_first)
            if d is None:
                continue
            taken.append(m.span())
            out.append(DateMention(d, m.start(), m.end(), m.group(0).strip(),
                                   kind in ("iso", "dot", "slash", "dmy_words", "mdy_words", "dom")))
    return sorted(out, key=lambda x: x.start)


def _resolve(kind: str, m: re.Match[str], as_of: dt.date, month_first: bool) -> dt.date | None:
    g = m.groups()
    if kind == "iso":
        return _ymd(int(g[0]), int(g[1]), int(g[2]))
    if kind in ("dot", "slash"):
        a, b = int(g[0]), int(g[1])
        if kind == "slash" and (month_first and a <= 12 or b > 12) and a <= 12:
            a, b = b, a
        day, month = a, b
        if not 1 <= month <= 12:
            return None
        return _ymd(int(g[2]), month, day) if g[2] else _no_year(as_of, month, day)
    if kind == "dmy_words":
        month = MONTH[g[1].lower()]
        return _ymd(int(g[2]), month, int(g[0])) if g[2] else _no_year(as_of, month, int(g[0]))
    if kind == "mdy_words":
        if g[0].lower() in ("mar", "may", "mai", "sept", "ago", "dic", "ene", "abr"):  # words too ("mai" in "mai 5"?)
            if not re.match(r"[A-Z]", g[0]):
                return None
        month = MONTH[g[0].lower()]
        return _ymd(int(g[2]), month, int(g[1])) if g[2] else _no_year(as_of, month, int(g[1]))
    if kind == "eom":
        return _month_end(as_of.year, as_of.month)
    if kind == "eonm":
        y, mo = (as_of.year + 1, 1) if as_of.month == 12 else (as_of.year, as_of.month + 1)
        return _month_end(y, mo)
    if kind == "eow":
        return as_of + dt.timedelta(days=max(0, 4 - as_of.weekday()))
    if kind == "nextweek":
        return as_of + dt.timedelta(days=7 - as_of.weekday() + 4)
    if kind == "within":
        n, unit = _num(g[0]), g[1].lower()
        if n > 400:
            return None
        if unit.startswith(("week", "woche", "semaine", "semana")):
            return as_of + dt.timedelta(days=7 * n)
        return as_of + dt.timedelta(days=n)
    if kind == "dayafter":
        return as_of + dt.timedelta(days=2)
    if kind == "tomorrow":
        return as_of + dt.timedelta(days=1)
    if kind == "today":
        return as_of
    if kind == "weekly":
        name = next(x for x in g if x).lower()
        name = name[:-1] if name.endswith("s") and name[:-1] in WEEKDAY else name
        return _after(as_of, WEEKDAY[name])
    if kind == "weekday":
        return _after(as_of, WEEKDAY[g[0].lower()])
    if kind == "dom":
        day = int(g[0])
        if not 1 <= day <= 31:
            return None
        for k in range(0, 3):
            y, mo = divmod(as_of.month - 1 + k, 12)
            try:
                d = dt.date(as_of.year + y, mo + 1, day)
            except ValueError:
                continue
            if d >= as_of:
                return d
    return None


def first_on_or_after(found: list[DateMention], as_of: dt.date) -> DateMention | None:
    """The promise date: the first date named that is not in the past — a weekday followed closely by the
    date it names ("Friday, 27.11.") counts once, as the date."""
    future = [x for x in found if x.date >= as_of]
    for i, x in enumerate(future):
        if not x.absolute and any(y.absolute and 0 <= y.start - x.end <= 15 for y in future[i + 1:]):
            continue
        return x
    return None
