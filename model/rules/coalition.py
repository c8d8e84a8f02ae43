"""Coalitions: the landscape theory of aggregation (rule group ``coalition``).

Axelrod, R. & Bennett, D. S. (1993). A landscape theory of aggregation.
British Journal of Political Science 23(2), 211–233.

n actors with sizes s_i and pairwise propensities p_ij (positive: i and j
would rather be in the same coalition; negative: apart) form a configuration
X, a partition into coalitions given as integer labels.  With d_ij(X) = 0
when i and j share a coalition and 1 otherwise,

    frustration  F_i(X) = Σ_{j≠i} s_j · p_ij · d_ij(X)
    energy       E(X)   = Σ_i s_i · F_i(X) = Σ_i Σ_{j≠i} s_i · s_j · p_ij · d_ij(X).

An actor moving to the coalition that lowers its frustration lowers the
energy (by 2·s_i times its gain, for symmetric propensities), so greedy
moves descend to a local minimum of E; the global minimum over at most k
coalitions is found for small n by enumerating every configuration.

The plain functions (``landscape_energy``, ``landscape_minimum``,
``landscape_descent``) work on any data; the ``landscape`` rule builds sizes
and propensities from the model's state each month and moves actors by
greedy descent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Literal, NamedTuple

import itertools

import numpy as np

from model.agreements import Agreement
from model.rules.registry import Registry
from model.scenario import is_background
from model.validation import bounds

if TYPE_CHECKING:
    from model.model import DiplomacyModel

COALITION_RULES = Registry("coalition")

MAX_CONFIGURATIONS = 2 ** 26
"""Largest number of configurations (k^(n−1)) ``landscape_minimum`` enumerates."""
_CHUNK = 2 ** 15  # configurations evaluated per vectorised block
_TOLERANCE = 1e-12  # relative: frustration gains below this are rounding, not moves


# ----------------------------------------------------------------------------- plain functions


def _pair_weights(sizes, propensities) -> np.ndarray:
    """W_ij = s_i · s_j · p_ij with a zero diagonal, after checking shapes."""
    s = np.asarray(sizes, dtype=float)
    p = np.asarray(propensities, dtype=float)
    if s.ndim != 1 or p.shape != (len(s), len(s)):
        raise ValueError(f"sizes must have shape (n,) and propensities (n, n); got {s.shape} and {p.shape}")
    w = np.outer(s, s) * p
    np.fill_diagonal(w, 0.0)
    return w


def canonical_labels(labels) -> np.ndarray:
    """Relabel coalitions 0, 1, 2, ... in order of first appearance (actor 0 is in coalition 0)."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return np.zeros(0, dtype=np.int64)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[inverse.ravel()]


def landscape_energy(sizes, propensities, labels) -> float:
    """E(X) = Σ_i Σ_{j≠i} s_i·s_j·p_ij·d_ij(X), d_ij = 0 in the same coalition and 1 apart.

    ``sizes``: shape (n,); ``propensities``: (n, n), symmetric, diagonal ignored;
    ``labels``: (n,) integers naming each actor's coalition (any values: only
    equality matters, so the energy does not depend on how coalitions are numbered).
    """
    w = _pair_weights(sizes, propensities)
    labels = np.asarray(labels)
    if labels.shape != (len(w),):
        raise ValueError(f"labels must have shape ({len(w)},); got {labels.shape}")
    return float(w[labels[:, None] != labels[None, :]].sum())


def _configurations(codes: np.ndarray, n: int, k: int) -> np.ndarray:
    """Label rows for configuration numbers ``codes``: actor 0 in coalition 0, the others base-k digits."""
    powers = k ** np.arange(n - 1, dtype=np.int64)
    labels = np.zeros((len(codes), n), dtype=np.int64)
    labels[:, 1:] = (codes[:, None] // powers) % k
    return labels


def landscape_minimum(sizes, propensities, k: int = 2) -> tuple[np.ndarray, float]:
    """The exact global minimum of the energy over all configurations of at most k coalitions.

    Enumerates the k^(n−1) labelings with actor 0 in coalition 0 (every
    partition into at most k coalitions is among them), in vectorised blocks:
    E = Σ_ij W_ij − Σ_c 1_cᵀ W 1_c with W_ij = s_i·s_j·p_ij.  Returns
    (canonical labels, energy).  Raises ValueError when k^(n−1) exceeds
    ``MAX_CONFIGURATIONS`` (n = 27 for k = 2; n = 17 for k = 3).
    """
    w = _pair_weights(sizes, propensities)
    n = len(w)
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}")
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0.0
    count = int(k) ** (n - 1)
    if count > MAX_CONFIGURATIONS:
        raise ValueError(f"n={n} actors and k={k} coalitions give k^(n-1) = {count:,} configurations, "
                         f"beyond exhaustive reach (at most {MAX_CONFIGURATIONS:,}); "
                         "use fewer actors or coalitions, or landscape_descent")
    total = w.sum()
    best_energy, best_code = np.inf, 0
    for start in range(0, count, _CHUNK):
        codes = np.arange(start, min(count, start + _CHUNK), dtype=np.int64)
        labels = _configurations(codes, n, int(k))
        together = np.zeros(len(codes))
        for c in range(int(k)):
            member = (labels == c).astype(float)
            together += np.einsum("mi,mi->m", member @ w, member)
        energy = total - together
        at = int(np.argmin(energy))
        if energy[at] < best_energy:
            best_energy, best_code = energy[at], start + at
    labels = canonical_labels(_configurations(np.array([best_code]), n, int(k))[0])
    return labels, landscape_energy(sizes, propensities, labels)


def frustrations(sizes, propensities, labels, k: int) -> np.ndarray:
    """(n, k) matrix: actor i's frustration if it were in coalition c, the others staying put.

    F_i(c) = Σ_{j≠i} s_j·p_ij − Σ_{j≠i, l_j = c} s_j·p_ij.
    """
    s = np.asarray(sizes, dtype=float)
    p = np.asarray(propensities, dtype=float) * s[None, :]
    np.fill_diagonal(p, 0.0)
    together = p @ np.eye(k)[np.asarray(labels)]
    return p.sum(axis=1)[:, None] - together


class Descent(NamedTuple):
    """Result of greedy descent: final labels, energy after each move (first: the start), actors moved."""

    labels: np.ndarray
    energies: list[float]
    moved: list[int]


def landscape_descent(sizes, propensities, labels, k: int = 2, max_moves: int | None = None) -> Descent:
    """Greedy descent: the actor whose move lowers its frustration most moves, until nobody gains.

    Each move goes to the coalition (among ``k``, empty ones included) that
    minimises the mover's frustration; ``max_moves`` bounds the number of
    moves (None: to a local minimum).  Energy never rises along the way.
    """
    labels = np.array(labels, dtype=np.int64)
    if len(labels) and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"labels must lie in 0..{k - 1}")
    energies = [landscape_energy(sizes, propensities, labels)]
    moved: list[int] = []
    while max_moves is None or len(moved) < max_moves:
        f = frustrations(sizes, propensities, labels, k)
        if len(f) == 0:
            break
        current = f[np.arange(len(labels)), labels]
        gains = current - f.min(axis=1)
        mover = int(np.argmax(gains))
        if gains[mover] <= _TOLERANCE * max(1.0, np.abs(f).max()):
            break
        labels[mover] = int(np.argmin(f[mover]))
        moved.append(mover)
        energies.append(landscape_energy(sizes, propensities, labels))
    return Descent(labels, energies, moved)


# ----------------------------------------------------------------------------- the model's rules


@COALITION_RULES.register("none")
@dataclass(frozen=True)
class NoCoalitions:
    """No coalition dynamics: nothing is computed or recorded."""

    def start(self, model: DiplomacyModel) -> Idle:
        return Idle()


class Idle:
    """A process that does nothing (used when a rule group is switched off)."""

    @property
    def labels(self) -> dict[int, int]:
        return {}

    def step(self) -> None:
        pass

    def reporters(self) -> dict[str, Callable]:
        return {}


@COALITION_RULES.register("landscape")
@dataclass(frozen=True)
class LandscapeCoalitions:
    """Axelrod & Bennett (1993) landscape dynamics over a set of subnational actors.

    Actors: the subnationals named in the scenario file (``actors: named``;
    background cities left out) or the ``top_n`` largest (``actors: top``).
    Sizes: population or GDP (``size``), as shares of the set's total.
    Propensities, rebuilt each month from the state, centred so that the
    average pair is indifferent (above-average affinity attracts, below-average
    repels; without centring, affinities that are all positive make the grand
    coalition the trivial minimum):

        raw_ij = β_agr·(agreements in force between i and j) + β_net·|M_i ∩ M_j|
                 + β_int·cos(w_i, w_j) + β_rel·relation(nation_i, nation_j)
        p_ij   = raw_ij − mean_{k≠l} raw_kl

    (compatriots have relation 1).  Actors start in random coalitions among
    ``max_coalitions``; each month up to ``moves_per_step`` greedy moves are made.
    """

    actors: Literal["named", "top"] = "named"
    top_n: int = field(default=30, metadata=bounds(2))
    """Number of actors when ``actors: top``."""
    size: Literal["population", "gdp"] = "population"
    max_coalitions: int = field(default=2, metadata=bounds(1))
    moves_per_step: int = field(default=1, metadata=bounds(0))
    beta_agreements: float = 1.0
    beta_membership: float = 0.5
    beta_interest: float = 1.0
    beta_relations: float = 1.0

    def start(self, model: DiplomacyModel) -> Landscape:
        return Landscape(self, model)

    def members(self, model: DiplomacyModel) -> np.ndarray:
        """Actor indices the dynamics apply to, in index order."""
        if self.actors == "named":
            return np.array([i for i, spec in enumerate(model.spec.subnationals) if not is_background(spec)],
                            dtype=np.int64)
        sizes = self.raw_sizes(model, model.pool)
        return np.sort(model.pool[np.argsort(-sizes, kind="stable")[: self.top_n]])

    def raw_sizes(self, model: DiplomacyModel, members: np.ndarray) -> np.ndarray:
        column = model.actors.population if self.size == "population" else model.actors.gdp
        return column[members].astype(float)

    def propensities(self, model: DiplomacyModel, members: np.ndarray, agreements: np.ndarray) -> np.ndarray:
        """Centred propensities among ``members``; ``agreements``: (n, n) counts of agreements in force."""
        a = model.actors
        m = a.membership[members].astype(float)
        w = a.interests[members]
        norm = np.linalg.norm(w, axis=1)
        unit = w / np.where(norm > 0, norm, 1.0)[:, None]
        country = a.country[members]
        raw = (self.beta_agreements * agreements + self.beta_membership * (m @ m.T)
               + self.beta_interest * (unit @ unit.T)
               + self.beta_relations * model.relations[np.ix_(country, country)])
        off = ~np.eye(len(members), dtype=bool)
        if off.any():
            raw = raw - raw[off].mean()
        np.fill_diagonal(raw, 0.0)
        return raw


class AgreementsAmong:
    """Agreements in force between two actors of a set, kept up to date month by month.

    Each call scans only the agreements created since the previous one (the
    model's agreements are settled, signed or vetoed, in the month they are
    proposed) and keeps those between two members until they lapse, so the
    cost does not grow with all the agreements in force in a large world.
    """

    def __init__(self, members: np.ndarray):
        self.position = {int(i): k for k, i in enumerate(members)}
        self._scanned = 0
        self._among: dict[int, Agreement] = {}

    def counts(self, model: DiplomacyModel) -> np.ndarray:
        """(n, n) symmetric counts of the agreements in force between members."""
        position = self.position
        for ag in itertools.islice(model.agreements.values(), self._scanned, None):
            if (len(ag.parties) == 2 and ag.kind != "declaration"
                    and ag.parties[0] in position and ag.parties[1] in position):
                self._among[ag.id] = ag
        self._scanned = len(model.agreements)
        counts = np.zeros((len(self.position),) * 2)
        for aid, ag in list(self._among.items()):
            if not ag.live:
                del self._among[aid]  # vetoed or expired: never in force again
                continue
            x, y = (self.position[p] for p in ag.parties)
            counts[x, y] += 1
            counts[y, x] += 1
        return counts


class Landscape:
    """The landscape dynamics of one model run: current configuration, energy and moves.

    Every coalition change is a ledger event ``aligned`` (kind ``coalition``,
    actor = the actor, detail = its new coalition), the initial configuration
    included (step 0), so the ledger alone rebuilds the configuration at any month.
    """

    def __init__(self, rule: LandscapeCoalitions, model: DiplomacyModel):
        self.rule, self.model = rule, model
        self.members = rule.members(model)
        self.ties = AgreementsAmong(self.members)
        raw = rule.raw_sizes(model, self.members)
        self.sizes = raw / raw.sum() if raw.sum() > 0 else np.full(len(raw), 1.0 / max(len(raw), 1))
        rng = model.stream("coalitions")
        self.current = rng.integers(0, rule.max_coalitions, len(self.members))
        self.moves = 0
        self.energy = landscape_energy(self.sizes, self.propensities(), self.current)
        for i, c in zip(self.members.tolist(), self.current.tolist()):
            self._record(i, c)

    @property
    def labels(self) -> dict[int, int]:
        """Coalition of each member: actor index → label in 0..max_coalitions−1."""
        return dict(zip(self.members.tolist(), self.current.tolist()))

    def propensities(self) -> np.ndarray:
        """This month's propensities among the members."""
        return self.rule.propensities(self.model, self.members, self.ties.counts(self.model))

    def step(self) -> None:
        """Rebuild propensities from this month's state and make up to ``moves_per_step`` moves."""
        result = landscape_descent(self.sizes, self.propensities(), self.current, self.rule.max_coalitions,
                                   max_moves=self.rule.moves_per_step)
        for k in result.moved:
            self._record(int(self.members[k]), int(result.labels[k]))
        self.current = result.labels
        self.moves = len(result.moved)
        self.energy = result.energies[-1]

    def _record(self, actor: int, coalition: int) -> None:
        self.model.ledger.record(self.model.month, "aligned", actor=actor, kind="coalition",
                                 parties=(actor,), detail=str(coalition))

    def reporters(self) -> dict[str, Callable]:
        """Coalitions (non-empty), energy, moves this month, and members of each coalition."""
        reporters: dict[str, Callable] = {
            "coalitions": lambda m: len(np.unique(self.current)),
            "coalition_energy": lambda m: self.energy,
            "coalition_moves": lambda m: self.moves,
        }
        for c in range(self.rule.max_coalitions):
            reporters[f"coalition_members.{c}"] = lambda m, c=c: int((self.current == c).sum())
        return reporters
