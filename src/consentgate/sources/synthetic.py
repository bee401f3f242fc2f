"""The demo platform: a seeded, deterministic social network stored in ``platform_subjects``.

Subject ids are ``"1"``..``"N"``. Friendships come from a Chung-Lu random graph over
Pareto-distributed weights (heavy-tailed, mean degree in the low hundreds); each subject's
friends are stored as a packed little-endian uint32 array, so 100,000 subjects with about
15 million friend entries build in seconds. Countries are EU-heavy and about 5% of subjects
are below their country's age of digital consent. Birth dates are relative to
``REFERENCE_DATE`` so that the same seed always gives the same platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, delete, func, insert, select

from consentgate.catalog import Catalog
from consentgate.clock import age_on, utc_now
from consentgate.errors import AlreadyExists, InvalidInput
from consentgate.sources.sql import SqlMapping, SqlSource, SqlWrites
from consentgate.storage.tables import platform_subjects, settings

__all__ = [
    "PLATFORM_MAPPING",
    "REFERENCE_DATE",
    "PlatformSource",
    "PlatformStats",
    "generate_platform",
    "platform_stats",
]

REFERENCE_DATE = date(2026, 1, 1)
MEAN_DEGREE = 150
GUARDIAN_ADULT_AGE = 18  # a guardian is an adult ...
GUARDIAN_AGE_GAP = 16  # ... at least this many years older than the ward
MINOR_SHARE = 0.05
_BATCH = 5_000

COUNTRIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "DE": (14, ("Berlin", "Hamburg", "Munich", "Cologne", "Leipzig")),
    "FR": (11, ("Paris", "Lyon", "Marseille", "Toulouse", "Lille")),
    "IT": (9, ("Rome", "Milan", "Naples", "Turin", "Bologna")),
    "ES": (8, ("Madrid", "Barcelona", "Valencia", "Seville", "Bilbao")),
    "PL": (6, ("Warsaw", "Krakow", "Gdansk", "Wroclaw")),
    "NL": (5, ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven")),
    "RO": (3, ("Bucharest", "Cluj-Napoca", "Iasi")),
    "BE": (3, ("Brussels", "Antwerp", "Ghent")),
    "SE": (3, ("Stockholm", "Gothenburg", "Malmo")),
    "AT": (2, ("Vienna", "Graz", "Linz")),
    "IE": (2, ("Dublin", "Cork", "Galway")),
    "PT": (2, ("Lisbon", "Porto")),
    "CZ": (2, ("Prague", "Brno")),
    "GR": (2, ("Athens", "Thessaloniki")),
    "HU": (1.5, ("Budapest", "Debrecen")),
    "DK": (1.5, ("Copenhagen", "Aarhus")),
    "FI": (1.5, ("Helsinki", "Tampere")),
    "GB": (8, ("London", "Manchester", "Leeds", "Glasgow")),
    "US": (9, ("New York", "Chicago", "Austin", "Seattle", "Atlanta")),
    "CA": (2, ("Toronto", "Montreal", "Vancouver")),
    "AU": (2, ("Sydney", "Melbourne")),
    "BR": (2.5, ("Sao Paulo", "Rio de Janeiro")),
}
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Chloe",
    "David",
    "Elena",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Klara",
    "Luca",
    "Maria",
    "Noah",
    "Olga",
    "Paul",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wim",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Aino",
    "Bram",
    "Cleo",
    "Dario",
    "Emil",
    "Fatima",
    "Goran",
    "Hana",
    "Ivan",
    "Julia",
    "Karim",
    "Lena",
    "Milan",
    "Nora",
    "Oskar",
    "Pia",
    "Rafael",
    "Sofia",
    "Tomas",
    "Ulla",
    "Viktor",
]
LAST_NAMES = [
    "Novak",
    "Meyer",
    "Rossi",
    "Garcia",
    "Kowalski",
    "Jansen",
    "Popescu",
    "Peeters",
    "Andersson",
    "Gruber",
    "Murphy",
    "Silva",
    "Dvorak",
    "Papadopoulos",
    "Nagy",
    "Hansen",
    "Virtanen",
    "Smith",
    "Johnson",
    "Tremblay",
    "Brown",
    "Santos",
    "Schmidt",
    "Martin",
    "Bianchi",
    "Lopez",
    "Nowak",
    "Visser",
    "Ionescu",
    "Dubois",
    "Berg",
    "Huber",
    "Byrne",
    "Costa",
]
GENDERS = ("female", "male", "non-binary", "undisclosed")
RELATIONSHIP = ("single", "in a relationship", "engaged", "married", "complicated", "undisclosed")
POLITICAL = ("left", "centre-left", "centre", "centre-right", "right", "green", "undisclosed")
RELIGION = ("christian", "muslim", "jewish", "hindu", "buddhist", "atheist", "agnostic", "none")
PAGES = tuple(
    f"{topic} {kind}"
    for topic in (
        "Football",
        "Jazz",
        "Hiking",
        "Cooking",
        "Cinema",
        "Photography",
        "Gaming",
        "Yoga",
        "Cycling",
        "Climate Action",
        "Tax Reform",
        "Church Choir",
        "Interfaith",
        "Party Youth",
        "Vegan",
        "Startups",
    )
    for kind in ("Fans", "Club", "News", "Community", "Daily")
)
POST_TEMPLATES = (
    "Weekend in {city}!",
    "Anyone up for a game tonight?",
    "New recipe turned out great",
    "Thinking about the election",
    "Happy birthday to my best friend",
    "Back from the mountains",
    "Reading a good book",
)

PLATFORM_MAPPING = SqlMapping(
    table="platform_subjects",
    id_column="id",
    columns={
        name: name
        for name in (
            "name",
            "email",
            "birthday",
            "gender",
            "current_city",
            "country",
            "relationship_status",
            "page_likes",
            "posts",
            "political_views",
            "religion",
            "messages",
        )
    },
    country_column="country",
    birth_date_column="birthday",
    json_columns=frozenset({"page_likes", "posts", "messages"}),
)


@dataclass(frozen=True)
class PlatformStats:
    subjects: int
    seed: int | None
    mean_degree: float
    max_degree: int
    minors: int
    countries: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "subjects": self.subjects,
            "seed": self.seed,
            "mean_degree": round(self.mean_degree, 1),
            "max_degree": self.max_degree,
            "minors": self.minors,
            "countries": self.countries,
        }


# the demo platform writes like any mapped source: rectification per column, erasure of the
# person's row (their id stays in friends' adjacency lists, where it no longer resolves)
PLATFORM_WRITES = SqlWrites(
    rectify="UPDATE platform_subjects SET {column} = :value WHERE id = :subject_id",
    erase=("DELETE FROM platform_subjects WHERE id = :subject_id",),
)


class PlatformSource(SqlSource):
    """The demo platform as a ``Source`` (friends read from the packed adjacency lists)."""

    def __init__(self, engine: Engine, *, catalog: Catalog) -> None:
        super().__init__(engine, PLATFORM_MAPPING, catalog=catalog, statements=PLATFORM_WRITES)

    def subject_count(self) -> int:
        """How many people the platform holds (ids are ``"1"`` .. that number)."""
        rows = self._rows(select(func.count()).select_from(platform_subjects))
        return int(rows[0][0])

    def guardians(self, subject_id: str) -> list[str]:
        """The demo platform's families: a person under 18 has as guardians the (at most two,
        lowest-id) friends who are adults and at least 16 years older; others have none."""
        ward = self.attributes([subject_id]).get(subject_id)
        if ward is None or ward.birth_date is None:
            return []
        today = utc_now().date()
        if ward.birth_date <= _years_before(today, GUARDIAN_ADULT_AGE):
            return []  # an adult has no guardian
        latest_birth = min(
            _years_before(ward.birth_date, GUARDIAN_AGE_GAP),
            _years_before(today, GUARDIAN_ADULT_AGE),
        )
        friends = self.attributes(self.friends(subject_id)).values()
        found = [f.id for f in friends if f.birth_date is not None and f.birth_date <= latest_birth]
        return sorted(found, key=int)[:2]

    def friends(self, subject_id: str) -> list[str]:
        statement = select(platform_subjects.c.friend_ids).where(
            platform_subjects.c.id == subject_id
        )
        rows = self._rows(statement)
        if not rows:
            return []
        packed = np.frombuffer(rows[0][0], dtype="<u4")
        return [str(int(value)) for value in packed]


def generate_platform(
    engine: Engine,
    *,
    subjects: int,
    seed: int,
    catalog: Catalog,
    replace: bool = False,
    mean_degree: int = MEAN_DEGREE,
) -> PlatformStats:
    """Generate the demo platform into the database; deterministic for a given seed."""
    if subjects < 2:
        raise InvalidInput("--subjects must be at least 2")
    if subjects > 5_000_000:
        raise InvalidInput("--subjects above 5,000,000 is not supported by the generator")
    with engine.connect() as connection:
        existing = connection.execute(select(func.count()).select_from(platform_subjects))
        if existing.scalar_one() and not replace:
            raise AlreadyExists(
                "the demo platform already exists in this database: pass --replace to rebuild it"
            )
    rng = np.random.default_rng(seed)
    adjacency, offsets = _friendship_graph(rng, subjects, min(mean_degree, subjects - 1))
    rows = _profiles(rng, subjects, catalog, adjacency, offsets)
    with engine.begin() as connection:
        connection.execute(delete(platform_subjects))
        for start in range(0, len(rows), _BATCH):
            connection.execute(insert(platform_subjects), rows[start : start + _BATCH])
        connection.execute(delete(settings).where(settings.c.key == "platform"))
        connection.execute(
            insert(settings), [{"key": "platform", "value": {"subjects": subjects, "seed": seed}}]
        )
    return platform_stats(engine, catalog=catalog)


def platform_stats(engine: Engine, *, catalog: Catalog) -> PlatformStats:
    """What the demo platform holds."""
    with engine.connect() as connection:
        info = connection.execute(
            select(settings.c.value).where(settings.c.key == "platform")
        ).scalar_one_or_none()
        result = connection.execute(
            select(
                platform_subjects.c.country,
                platform_subjects.c.birthday,
                func.length(platform_subjects.c.friend_ids),
            )
        )
        countries: dict[str, int] = {}
        degrees: list[int] = []
        minors = 0
        for country, birthday, packed_len in result:
            countries[country] = countries.get(country, 0) + 1
            degrees.append(int(packed_len or 0) // 4)
            age_limit = catalog.age_of_consent(country)
            if age_on(birthday, REFERENCE_DATE) < age_limit:
                minors += 1
    total = len(degrees)
    return PlatformStats(
        subjects=total,
        seed=(info or {}).get("seed"),
        mean_degree=(sum(degrees) / total) if total else 0.0,
        max_degree=max(degrees, default=0),
        minors=minors,
        countries=dict(sorted(countries.items(), key=lambda item: -item[1])),
    )


def _friendship_graph(
    rng: np.random.Generator, n: int, mean_degree: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Chung-Lu graph: each undirected edge picks both ends in proportion to Pareto weights."""
    weights = rng.pareto(2.2, size=n) + 1.0
    weights = np.minimum(weights, weights.mean() * 60)
    probabilities = weights / weights.sum()
    # oversample a little: self-loops and duplicate pairs are dropped below
    draws = int(n * mean_degree / 2 * 1.04)
    left = rng.choice(n, size=draws, p=probabilities).astype(np.int64)
    right = rng.choice(n, size=draws, p=probabilities).astype(np.int64)
    keep = left != right
    low = np.minimum(left[keep], right[keep])
    high = np.maximum(left[keep], right[keep])
    pairs = np.unique(low * n + high)
    low, high = pairs // n, pairs % n
    source = np.concatenate([low, high])
    target = np.concatenate([high, low])
    order = np.lexsort((target, source))
    adjacency = (target[order] + 1).astype("<u4")  # platform ids are 1-based
    counts = np.bincount(source, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return adjacency, offsets


def _profiles(
    rng: np.random.Generator,
    n: int,
    catalog: Catalog,
    adjacency: np.ndarray[Any, Any],
    offsets: np.ndarray[Any, Any],
) -> list[dict[str, Any]]:
    codes = list(COUNTRIES)
    shares = np.array([COUNTRIES[c][0] for c in codes])
    country_index = rng.choice(len(codes), size=n, p=shares / shares.sum())
    is_minor = rng.random(n) < MINOR_SHARE
    adult_age = rng.integers(18, 80, size=n)
    minor_offset = rng.integers(1, 4, size=n)  # 1..3 years below the country's limit
    day_in_year = rng.integers(0, 365, size=n)
    first = rng.integers(0, len(FIRST_NAMES), size=n)
    last = rng.integers(0, len(LAST_NAMES), size=n)
    gender = rng.integers(0, len(GENDERS), size=n)
    relationship = rng.integers(0, len(RELATIONSHIP), size=n)
    political = rng.integers(0, len(POLITICAL), size=n)
    religion = rng.integers(0, len(RELIGION), size=n)
    city_pick = rng.integers(0, 1_000_000, size=n)
    like_counts = rng.poisson(8, size=n)
    post_counts = rng.poisson(2, size=n)
    message_counts = rng.poisson(2, size=n)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        code = codes[country_index[i]]
        cities = COUNTRIES[code][1]
        city = cities[city_pick[i] % len(cities)]
        if is_minor[i]:
            age = max(10, catalog.age_of_consent(code) - int(minor_offset[i]))
        else:
            age = int(adult_age[i])
        # born `age` years and a bit before the reference date: exactly `age` on it
        birthday = _years_before(REFERENCE_DATE, age) - timedelta(days=int(day_in_year[i]))
        first_name, last_name = FIRST_NAMES[first[i]], LAST_NAMES[last[i]]
        likes = rng.choice(len(PAGES), size=min(int(like_counts[i]), len(PAGES)), replace=False)
        ident = i + 1
        rows.append(
            {
                "id": str(ident),
                "name": f"{first_name} {last_name}",
                "email": f"{first_name}.{last_name}.{ident}@example.net".lower(),
                "birthday": birthday,
                "gender": GENDERS[gender[i]],
                "current_city": city,
                "country": code,
                "relationship_status": RELATIONSHIP[relationship[i]],
                "page_likes": [PAGES[k] for k in sorted(likes)],
                "posts": [
                    POST_TEMPLATES[(ident + k) % len(POST_TEMPLATES)].format(city=city)
                    for k in range(int(post_counts[i]))
                ],
                "political_views": POLITICAL[political[i]],
                "religion": RELIGION[religion[i]],
                "messages": [f"private message {k + 1}" for k in range(int(message_counts[i]))],
                "friend_ids": adjacency[offsets[i] : offsets[i + 1]].tobytes(),
            }
        )
    return rows


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
