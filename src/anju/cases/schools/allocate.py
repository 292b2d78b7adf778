"""The published allocation algorithm, reproducible from its inputs and a published seed.

1. For each school, the applicants living in its catchment are ranked by points (ties: the
   earlier start of continuous residence, then the lottery); seats go in rank order.
2. Those not placed are ranked the same way across the county and, in that order, take a seat at
   the nearest school (straight-line distance; ties by school id) that still has one.
3. So nobody is left unplaced while a seat is free, and nobody is refused a school that took
   someone ranked below them (round 1: their catchment school; round 2: a nearer school).

An applicant's lottery number does not depend on the file's order: SHA-256 of "seed:applicant_id",
so reordering the input file changes nothing."""
from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

ROUNDS = ("catchment", "nearest", "unplaced")
EARTH_KM = 6371.0088


@dataclass(frozen=True)
class School:
    school_id: str
    name: str
    catchment: tuple[str, ...]  # division codes
    capacity: int
    lat: float
    lon: float


@dataclass(frozen=True)
class Applicant:
    applicant_id: str
    home_division_code: str
    lat: float
    lon: float
    points: int
    residence_since: date


@dataclass(frozen=True)
class Placement:
    applicant_id: str
    school_id: str | None
    round: str  # catchment | nearest | unplaced
    rank: int  # in the catchment school's ranking (round 1) or the county's (round 2, unplaced)
    catchment_school: str | None
    catchment_rank: int | None
    catchment_cutoff: int | None  # points of the last child the catchment school took in round 1
    distance_km: float | None


def lottery(seed: int | str, applicant_id: str) -> str:
    return hashlib.sha256(f"{seed}:{applicant_id}".encode()).hexdigest()


def rank_key(applicant: Applicant, seed: int | str) -> tuple:
    return (-applicant.points, applicant.residence_since, lottery(seed, applicant.applicant_id))


def catchment_of(schools: Iterable[School]) -> dict[str, str]:
    """Division code → the school whose catchment holds it (one school per division)."""
    out: dict[str, str] = {}
    for school in schools:
        for code in school.catchment:
            out[code] = school.school_id
    return out


def distance_km(lat1, lon1, lat2, lon2):
    """Great-circle distance (works on numpy arrays)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def allocate(schools: list[School], applicants: list[Applicant], seed: int | str
             ) -> list[Placement]:
    """One placement per applicant, in the order of `applicants`."""
    by_id = {s.school_id: s for s in schools}
    home = catchment_of(schools)
    free = {s.school_id: s.capacity for s in schools}
    keys = {a.applicant_id: rank_key(a, seed) for a in applicants}
    # round 1: each school's catchment ranking
    queues: dict[str, list[Applicant]] = {s.school_id: [] for s in schools}
    for a in applicants:
        if a.home_division_code in home:
            queues[home[a.home_division_code]].append(a)
    placed: dict[str, Placement] = {}
    catchment_rank: dict[str, int] = {}
    cutoff: dict[str, int | None] = {}
    for school_id, queue in queues.items():
        queue.sort(key=lambda a: keys[a.applicant_id])
        taken = queue[:by_id[school_id].capacity]
        # the cut-off exists when someone of the catchment was refused a seat
        cutoff[school_id] = taken[-1].points if taken and len(queue) > len(taken) else None
        for rank, a in enumerate(queue, 1):
            catchment_rank[a.applicant_id] = rank
        for rank, a in enumerate(taken, 1):
            placed[a.applicant_id] = Placement(
                a.applicant_id, school_id, "catchment", rank, school_id, rank, None, None)
        free[school_id] -= len(taken)
    # round 2: the rest, in county order, to the nearest school with a seat
    rest = sorted((a for a in applicants if a.applicant_id not in placed),
                  key=lambda a: keys[a.applicant_id])
    order = [s.school_id for s in schools]
    s_lat = np.array([s.lat for s in schools])
    s_lon = np.array([s.lon for s in schools])
    tie = np.argsort(np.array(order, dtype=object), kind="stable")  # school id order
    tie_rank = np.empty(len(order), dtype=np.int64)
    tie_rank[tie] = np.arange(len(order))
    open_schools = sum(1 for v in free.values() if v > 0)
    chunk = 4096
    for start in range(0, len(rest), chunk):
        part = rest[start:start + chunk]
        lat = np.array([a.lat for a in part])[:, None]
        lon = np.array([a.lon for a in part])[:, None]
        dist = distance_km(lat, lon, s_lat[None, :], s_lon[None, :])
        # nearest first, ties by school id: lexsort's last key is the primary one
        prefs = np.lexsort((np.broadcast_to(tie_rank, dist.shape), np.round(dist, 9)), axis=1)
        for i, a in enumerate(part):
            rank = start + i + 1
            target = None
            if open_schools:
                for j in prefs[i]:
                    school_id = order[j]
                    if free[school_id] > 0:
                        target = (school_id, float(dist[i, j]))
                        break
            if target is None:
                placed[a.applicant_id] = Placement(a.applicant_id, None, "unplaced", rank, None,
                                                   None, None, None)
                continue
            free[target[0]] -= 1
            if free[target[0]] == 0:
                open_schools -= 1
            placed[a.applicant_id] = Placement(a.applicant_id, target[0], "nearest", rank, None,
                                               None, None, round(target[1], 3))
    out = []
    for a in applicants:
        p = placed[a.applicant_id]
        school = home.get(a.home_division_code)
        out.append(Placement(p.applicant_id, p.school_id, p.round, p.rank, school,
                             catchment_rank.get(a.applicant_id), cutoff.get(school) if school
                             else None, p.distance_km))
    return out


def distance_to(applicant: Applicant, school: School) -> float:
    return float(distance_km(applicant.lat, applicant.lon, school.lat, school.lon))


def valid_coordinates(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
