"""The referendum definition: written by people as TOML, frozen as canonical JSON.

`load_source` reads the officials' TOML file and validates every field with a precise error
(the TOML line for syntax, the field path for content). `Definition.to_json` gives the
canonical `definition.json` (RFC 8785): only those bytes are hashed (manifest_hash), signed
and read anywhere else, by `Definition.from_json`, which accepts nothing but canonical bytes.
"""

from __future__ import annotations

import datetime
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ballots.errors import DefinitionError
from crypto.encoding import PROTOCOL_VERSION, canonical_json, check_text, parse_canonical_json
from crypto.errors import EncodingError
from crypto.hashing import fingerprint

PACKING_BASE = 65536
MAX_ID_LENGTH = 64
_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True, slots=True)
class Question:
    question_id: str
    case_number: str  # as printed, e.g. 第17案
    short_title_zh: str
    short_title_en: str
    text_zh: str
    text_en: str
    english_unofficial: bool


@dataclass(frozen=True, slots=True)
class Station:
    station_id: str
    name: str
    county: str
    township: str
    eligible: int
    booths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Options:
    yes_zh: str = "同意"
    yes_en: str = "Agree"
    no_zh: str = "不同意"
    no_en: str = "Disagree"


@dataclass(frozen=True, slots=True)
class Definition:
    referendum_id: str
    date: str  # ISO 8601 polling day
    title_zh: str
    title_en: str
    options: Options
    questions: tuple[Question, ...]
    stations: tuple[Station, ...]
    packing_base: int = PACKING_BASE
    # Lookups built once (the tally and the verifier call them per ballot); not compared.
    _questions: dict[str, Question] = field(init=False, repr=False, compare=False)
    _stations: dict[str, Station] = field(init=False, repr=False, compare=False)
    _booths: dict[str, Station] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # setdefault: the first of a repeated ID wins, as the linear scans did (the readers
        # refuse repeated IDs; a Definition built by hand may still hold them).
        questions: dict[str, Question] = {}
        stations: dict[str, Station] = {}
        booths: dict[str, Station] = {}
        for q in self.questions:
            questions.setdefault(q.question_id, q)
        for s in self.stations:
            stations.setdefault(s.station_id, s)
            for b in s.booths:
                booths.setdefault(b, s)
        object.__setattr__(self, "_questions", questions)
        object.__setattr__(self, "_stations", stations)
        object.__setattr__(self, "_booths", booths)

    # Derived lookups ---------------------------------------------------------------------

    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.question_id for q in self.questions)

    def question(self, question_id: str) -> Question:
        return self._questions[question_id]

    def station(self, station_id: str) -> Station:
        return self._stations[station_id]

    def station_of_booth(self, booth_id: str) -> Station:
        return self._booths[booth_id]

    def booth_ids(self) -> tuple[str, ...]:
        return tuple(b for s in self.stations for b in s.booths)

    @property
    def eligible(self) -> int:
        return sum(s.eligible for s in self.stations)

    # Canonical form ----------------------------------------------------------------------

    def to_obj(self) -> dict[str, Any]:
        return {
            "type": "refvote/definition",
            "version": PROTOCOL_VERSION,
            "referendum_id": self.referendum_id,
            "date": self.date,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "packing_base": self.packing_base,
            "options": {
                "yes_zh": self.options.yes_zh,
                "yes_en": self.options.yes_en,
                "no_zh": self.options.no_zh,
                "no_en": self.options.no_en,
            },
            "questions": [
                {
                    "question_id": q.question_id,
                    "case_number": q.case_number,
                    "short_title_zh": q.short_title_zh,
                    "short_title_en": q.short_title_en,
                    "text_zh": q.text_zh,
                    "text_en": q.text_en,
                    "english_unofficial": q.english_unofficial,
                }
                for q in self.questions
            ],
            "stations": [
                {
                    "station_id": s.station_id,
                    "name": s.name,
                    "county": s.county,
                    "township": s.township,
                    "eligible": s.eligible,
                    "booths": list(s.booths),
                }
                for s in self.stations
            ],
        }

    def to_json(self) -> bytes:
        return canonical_json(self.to_obj())

    def manifest_hash(self) -> bytes:
        return fingerprint("manifest", self.to_json())

    @classmethod
    def from_json(cls, data: bytes) -> Definition:
        """Read definition.json; only canonical bytes are accepted."""
        try:
            obj = parse_canonical_json(data, what="definition.json")
        except EncodingError as exc:
            raise DefinitionError("definition.json", str(exc)) from None
        return _from_obj(obj, canonical=True)


def load_source(text: str, name: str = "definition.toml") -> Definition:
    """Parse and validate the officials' TOML source."""
    try:
        obj = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(name, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise DefinitionError(name, "nested too deeply to be a referendum definition") from None
    obj.setdefault("type", "refvote/definition")
    obj.setdefault("version", PROTOCOL_VERSION)
    obj.setdefault("packing_base", PACKING_BASE)
    if "options" not in obj:
        obj["options"] = {
            "yes_zh": "同意",
            "yes_en": "Agree",
            "no_zh": "不同意",
            "no_en": "Disagree",
        }
    obj = _normalise(obj)
    return _from_obj(obj, canonical=False)


def _normalise(value: Any) -> Any:
    """NFC every string of the source (people type decomposed forms without knowing it)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


# Explicit directional formatting characters (Unicode UAX #9, Table 2).
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


class _Reader:
    def __init__(self, obj: Any, path: str) -> None:
        if not isinstance(obj, dict):
            raise DefinitionError(path or "definition", "expected a table")
        self.obj: dict[str, Any] = obj
        self.path = path
        self.seen: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Any:
        if key not in self.obj:
            raise DefinitionError(self.where(key), "missing")
        self.seen.add(key)
        return self.obj[key]

    def text(self, key: str, max_length: int = 2000) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value.strip():
            raise DefinitionError(self.where(key), "must be non-empty text")
        if len(value) > max_length:
            raise DefinitionError(self.where(key), f"longer than {max_length} characters")
        if value != value.strip():
            raise DefinitionError(self.where(key), "has leading or trailing spaces")
        for ch in value:
            if unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS:
                # Printed on paper, screens and reports, and shown on terminals: a control
                # character or a bidi override can make the shown text differ from the hashed one.
                raise DefinitionError(
                    self.where(key), f"holds the control character U+{ord(ch):04X}"
                )
        try:
            return check_text(value)
        except EncodingError as exc:
            raise DefinitionError(self.where(key), str(exc)) from None

    def area(self, key: str) -> str:
        """A county or township name: the published township area is "county/township"."""
        value = self.text(key, 40)
        if "/" in value:
            raise DefinitionError(self.where(key), "must not contain '/' (it joins area names)")
        return value

    def identifier(self, key: str) -> str:
        value = self.text(key, MAX_ID_LENGTH)
        if _ID.fullmatch(value) is None:
            raise DefinitionError(
                self.where(key), "IDs use letters, digits, '.', '_' and '-', starting alphanumeric"
            )
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DefinitionError(self.where(key), f"must be a whole number from {low} to {high}")
        return value

    def boolean(self, key: str) -> bool:
        value = self.get(key)
        if not isinstance(value, bool):
            raise DefinitionError(self.where(key), "must be true or false")
        return value

    def items(self, key: str) -> list[Any]:
        value = self.get(key)
        if not isinstance(value, list) or not value:
            raise DefinitionError(self.where(key), "must be a non-empty list")
        return value

    def finish(self) -> None:
        extra = sorted(set(self.obj) - self.seen)
        if extra:
            raise DefinitionError(self.where(extra[0]), "unknown field")


def _from_obj(obj: Any, *, canonical: bool) -> Definition:
    r = _Reader(obj, "")
    version = r.get("version")
    if (
        r.get("type") != "refvote/definition"
        or type(version) is not int
        or version != PROTOCOL_VERSION
    ):
        raise DefinitionError("type", f"not a refvote definition, version {PROTOCOL_VERSION}")
    date = r.text("date", 10)
    try:
        # fromisoformat alone also takes "20211218" and "2021-W50-6": only YYYY-MM-DD is one.
        if _DATE.fullmatch(date) is None:
            raise ValueError(date)
        datetime.date.fromisoformat(date)
    except ValueError:
        raise DefinitionError("date", "must be a date YYYY-MM-DD") from None
    if r.integer("packing_base", 0, 2**53 - 1) != PACKING_BASE:
        raise DefinitionError("packing_base", f"version {PROTOCOL_VERSION} requires {PACKING_BASE}")
    o = _Reader(r.get("options"), "options")
    options = Options(
        o.text("yes_zh", 20), o.text("yes_en", 40), o.text("no_zh", 20), o.text("no_en", 40)
    )
    o.finish()

    questions = []
    for n, item in enumerate(r.items("questions")):
        q = _Reader(item, f"questions[{n}]")
        questions.append(
            Question(
                q.identifier("question_id"),
                q.text("case_number", 40),
                q.text("short_title_zh", 60),
                q.text("short_title_en", 120),
                q.text("text_zh"),
                q.text("text_en"),
                q.boolean("english_unofficial"),
            )
        )
        q.finish()
    _unique([q.question_id for q in questions], "questions", "question_id")
    _unique([q.case_number for q in questions], "questions", "case_number")

    stations = []
    for n, item in enumerate(r.items("stations")):
        s = _Reader(item, f"stations[{n}]")
        station_id = s.identifier("station_id")
        name, county, township = s.text("name", 200), s.area("county"), s.area("township")
        # Every decrypted sum must hold fewer than B ballots (PROTOCOL §5).
        eligible = s.integer("eligible", 0, PACKING_BASE - 1)
        booths = []
        for m, booth in enumerate(s.items("booths")):
            booth_reader = _Reader({"booth_id": booth}, f"stations[{n}].booths[{m}]")
            booths.append(booth_reader.identifier("booth_id"))
        stations.append(Station(station_id, name, county, township, eligible, tuple(booths)))
        s.finish()
    _unique([s.station_id for s in stations], "stations", "station_id")
    _unique([b for s in stations for b in s.booths], "stations", "booths (booth IDs are national)")
    definition = Definition(
        r.identifier("referendum_id"),
        date,
        r.text("title_zh", 200),
        r.text("title_en", 200),
        options,
        tuple(questions),
        tuple(stations),
    )
    r.finish()
    if canonical and definition.to_obj() != obj:  # pragma: no cover - guarded by the reader
        raise DefinitionError("definition.json", "does not round-trip")
    return definition


def _unique(values: list[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise DefinitionError(where, f"{what} {value!r} appears twice")
        seen.add(value)
