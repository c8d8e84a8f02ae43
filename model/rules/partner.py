"""Partner choice: which K foreign candidates a subnational considers for a proposal.

Every rule samples a bounded number of candidates per proposal and never
scores all N actors, so the cost of a step grows linearly with the number of
actors (DESIGN.md §4).  Candidates are foreign subnational governments (city
diplomacy is international by definition) other than the proposer.
Rules that depend on actor attributes build their sampling table once per step
in ``prepare``; the model keeps it as ``model.partner_table`` and ``choose``
reads it from there, so one rule object can serve several models at once.
``choose_many`` draws the candidates of many proposals at once, each row with
the law of one ``choose`` (the model draws a month's proposals that way,
``model.proposals``); a rule whose draws read the agreements signed during
the month returns None there, and is asked at each proposal instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from model.rules.registry import Registry
from model.validation import bounds

if TYPE_CHECKING:
    from model.model import DiplomacyModel

PARTNER_RULES = Registry("partner")


def _visibility(model: DiplomacyModel, rows: np.ndarray) -> np.ndarray:
    """Visibility of actors ``rows``: ``model.visibility`` (profile + standing) where the model has it, else profile."""
    return model.visibility(rows) if hasattr(model, "visibility") else model.actors.profile[rows]


def _sample_cdf(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """Draw n positions from the discrete distribution with cumulative weights ``cdf``."""
    return np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right").clip(max=len(cdf) - 1)


def _search(table: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``table.searchsorted(queries, side="right")``, queries searched in increasing order (much faster
    on a large table: numpy starts each search from the previous one)."""
    flat = queries.ravel()
    order = np.argsort(flat)
    found = np.empty(len(flat), dtype=np.int64)
    found[order] = table.searchsorted(flat[order], side="right")
    return found.reshape(queries.shape)


def _foreign_unique(model: DiplomacyModel, proposer: int, candidates: np.ndarray) -> np.ndarray:
    """Drop the proposer, compatriots and repeats, keeping first-drawn order."""
    country = model.actors.country
    candidates = candidates[country[candidates] != country[proposer]]
    return np.fromiter(dict.fromkeys(candidates.tolist()), dtype=np.int64)


def _first_distinct(draws: np.ndarray, valid: np.ndarray, k: int) -> np.ndarray:
    """Per row, the first k distinct valid entries of ``draws`` in drawn order; rows padded with -1.

    The row-wise, vectorised form of ``_foreign_unique``: the entry kept of
    each repeated value is its first occurrence (a stable sort keeps ties in
    drawn order).
    """
    rows, width = draws.shape
    marked = np.where(valid, draws, -1)
    order = np.argsort(marked, axis=1, kind="stable")
    ranked = np.take_along_axis(marked, order, axis=1)
    repeat = np.zeros_like(valid)
    np.put_along_axis(repeat, order[:, 1:], ranked[:, 1:] == ranked[:, :-1], axis=1)
    keep = valid & ~repeat
    rank = np.cumsum(keep, axis=1) - 1
    r, c = np.nonzero(keep & (rank < k))
    out = np.full((rows, k), -1, dtype=np.int64)
    out[r, rank[r, c]] = draws[r, c]
    return out


def _row(chosen: np.ndarray) -> np.ndarray:
    """One row of a ``choose_many`` result without its padding."""
    return chosen[chosen >= 0]


def padded(lists: list[np.ndarray], k: int) -> np.ndarray:
    """Candidate lists as rows of a matrix of width ``k`` padded with -1."""
    out = np.full((len(lists), k), -1, dtype=np.int64)
    for r, chosen in enumerate(lists):
        out[r, :len(chosen)] = chosen
    return out


def _weighted_without_replacement(rng: np.random.Generator, items: np.ndarray, weights: np.ndarray,
                                  k: int) -> np.ndarray:
    """k items drawn without replacement with probability ∝ weight, by Efraimidis & Spirakis' keys.

    Efraimidis, P. S. & Spirakis, P. G. (2006). Weighted random sampling with a
    reservoir. Information Processing Letters 97(5), 181–185: the k largest
    u^(1/w) give the same distribution as k successive weighted draws (returned
    here in that order: largest key first).
    """
    keys = np.log(rng.random(len(items))) / weights
    if k >= len(items):
        return items[np.argsort(-keys, kind="stable")]
    top = np.argpartition(-keys, k - 1)[:k]
    return items[top[np.argsort(-keys[top], kind="stable")]]


@dataclass(frozen=True)
class _WeightedPool:
    """Shared machinery: sample the subnational pool with per-step weights."""

    candidates: int = field(default=8, metadata=bounds(1))
    """K, the number of candidates a proposer considers."""

    def pool_weights(self, model: DiplomacyModel) -> np.ndarray | None:
        """Weights over ``model.pool`` for this step, or None for uniform."""
        return None

    def prepare(self, model: DiplomacyModel) -> np.ndarray | None:
        """This step's sampling table (stored by the model as ``model.partner_table``)."""
        weights = self.pool_weights(model)
        return None if weights is None else np.cumsum(weights)

    def draw(self, model: DiplomacyModel, n: int) -> np.ndarray:
        cdf, rng = model.partner_table, model.stream("partner")
        if not isinstance(cdf, np.ndarray) or len(cdf) != len(model.pool):
            return model.pool[rng.integers(0, len(model.pool), n)]
        return model.pool[_sample_cdf(rng, cdf, n)]

    def choose(self, model: DiplomacyModel, proposer: int) -> np.ndarray:
        """The K candidates of one proposal: the first K distinct foreign draws of 2K."""
        return _row(self.choose_many(model, np.array([proposer], dtype=np.int64))[0])

    def choose_many(self, model: DiplomacyModel, proposers: np.ndarray) -> np.ndarray | None:
        """The candidates of each of ``proposers`` (one row each, padded with -1), as ``choose`` draws them."""
        k = self.candidates
        draws = self.draw(model, 2 * k * len(proposers)).reshape(len(proposers), 2 * k)
        country = model.actors.country
        return _first_distinct(draws, country[draws] != country[proposers][:, None], k)


@PARTNER_RULES.register("random")
@dataclass(frozen=True)
class RandomPartner(_WeightedPool):
    """Uniform choice among foreign subnationals: the null model of partner choice."""


@PARTNER_RULES.register("preferential")
@dataclass(frozen=True)
class PreferentialPartner(_WeightedPool):
    """Preferential attachment: P(j) ∝ (degree_j + 1)^α.

    Barabási, A.-L. & Albert, R. (1999). Emergence of scaling in random
    networks. Science 286, 509–512.  Well-connected cities attract more
    partners, which concentrates diplomacy in a few hubs.  Degrees are read
    once per step (the month's news).
    """

    alpha: float = field(default=1.0, metadata=bounds(0))

    def pool_weights(self, model: DiplomacyModel) -> np.ndarray:
        return (model.actors.degree[model.pool] + 1.0) ** self.alpha


# ---------------------------------------------------------------------- exact gravity


def _split(xyz: np.ndarray, group: np.ndarray, leaf: int) -> list[np.ndarray]:
    """Split ``group`` recursively at the median of its widest coordinate until parts hold ≤ leaf."""
    parts, stack = [], [group]
    while stack:
        g = stack.pop()
        if len(g) <= leaf:
            parts.append(g)
            continue
        pts = xyz[g]
        axis = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
        half = len(g) // 2
        part = np.argpartition(pts[:, axis], half)
        stack += [g[part[:half]], g[part[half:]]]
    return parts


@dataclass(frozen=True)
class _Cells:
    """Compact cells of one country each, on two levels, built once per model.

    Each country's subnationals are split recursively at the median of their
    widest coordinate (on the unit sphere) into coarse cells of at most
    ``leaf`` members, and each coarse cell the same way into fine cells of at
    most leaf/4.  Rows 0..C-1 of every array are the coarse cells, the next
    rows the fine ones (each coarse cell's fine cells are consecutive).  Every
    cell keeps the mean of its members' unit vectors and its exact radius
    around that point (the longest chord from it to a member), so the distance
    bounds derived from them hold whatever the shape of the cell.
    """

    xyz: np.ndarray            # model.actors.unit_xyz, to recognise the model it was built for
    coarse: int                # C, the number of coarse cells
    members: np.ndarray        # (rows, leaf) actor rows, -1 as padding
    children: np.ndarray       # (C + 1,) fine rows of coarse cell c: children[c] .. children[c + 1] - 1
    cell_of: np.ndarray        # (actors,) proposer cell of each pool member (coarse if compact, else fine)
    country: np.ndarray        # (rows,) country of each cell
    centre: np.ndarray         # (rows, 3) mean unit vector of the members (inside the sphere)
    centre_sq: np.ndarray      # (rows,) |centre|²
    radius: np.ndarray         # (rows,) longest chord from the centre to a member
    country_size: np.ndarray   # pool members per country
    earth_radius_km: float

    @classmethod
    def build(cls, model: DiplomacyModel) -> _Cells:
        from model.model import EARTH_RADIUS_KM

        pool, a = model.pool, model.actors
        xyz, country = a.unit_xyz[pool], a.country[pool]
        leaf = int(np.clip(np.sqrt(len(pool) / LEAF_DIVISOR), 8, 256))
        order = np.argsort(country, kind="stable")
        coarse = [c for g in np.split(order, np.flatnonzero(np.diff(country[order])) + 1) if len(g)
                  for c in _split(xyz, g, leaf)]
        fine = [_split(xyz, c, max(leaf // 4, 1)) for c in coarse]
        rows = coarse + [f for parts in fine for f in parts]
        sizes = np.array([len(g) for g in rows], dtype=np.int64)
        flat = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        row = np.repeat(np.arange(len(rows)), sizes)
        members = np.full((len(rows), leaf), -1, dtype=np.int64)
        members[row, np.arange(len(flat)) - starts[row]] = pool[flat]
        cell_of = np.full(len(a.country), -1, dtype=np.int64)
        n_coarse = len(coarse)
        cell_of[pool[flat]] = row  # the fine cell of each member (fine rows come last) ...
        if len(flat):
            centre = np.add.reduceat(xyz[flat], starts, axis=0) / sizes[:, None]
            radius = np.maximum.reduceat(np.sqrt(((xyz[flat] - centre[row]) ** 2).sum(axis=1)), starts)
            cell_country = country[flat[starts]]
        else:
            centre, radius, cell_country = np.zeros((0, 3)), np.zeros(0), np.zeros(0, dtype=np.int64)
        children = n_coarse + np.concatenate([[0], np.cumsum([len(parts) for parts in fine])]).astype(np.int64)
        if n_coarse:  # ... or its coarse cell, when that is small beside its distance to any foreign cell
            cc = centre[:n_coarse]
            chord = np.sqrt(np.maximum((cc ** 2).sum(axis=1)[:, None] - 2.0 * cc @ cc.T + (cc ** 2).sum(axis=1), 0))
            gap = np.where(cell_country[:n_coarse, None] != cell_country[None, :n_coarse],
                           chord - radius[None, :n_coarse], np.inf).min(axis=1)
            compact = radius[:n_coarse] <= _COMPACT * gap
            members_of = row[:len(pool)]
            cell_of[pool[flat[:len(pool)]][compact[members_of]]] = members_of[compact[members_of]]
        return cls(xyz=a.unit_xyz, coarse=n_coarse, members=members, children=children, cell_of=cell_of,
                   country=cell_country, centre=centre, centre_sq=(centre ** 2).sum(axis=1),
                   radius=radius * (1 + 1e-9) + 1e-12,  # rounding never makes a bound fail
                   country_size=np.bincount(country, minlength=len(model.countries)),
                   earth_radius_km=EARTH_RADIUS_KM)

    def fits(self, model: DiplomacyModel) -> bool:
        return self.xyz is model.actors.unit_xyz and len(self.cell_of) == len(model.actors.country)


@dataclass(frozen=True)
class _Bounds:
    """Distance bounds of a model's cells for one (γ, d_min): the per-model part of the gravity table.

    A proposer cell's reach is built the first time a proposer of that cell
    needs it and kept for the rest of the run (it does not depend on masses),
    laid end to end with the reaches built before it, each followed by its
    sentinel (``slots``), so that the envelopes of many cells are gathered in
    one indexing (``GravityTable.joined``).
    """

    cells: _Cells
    gamma: float
    d_min: float
    slots: dict = field(default_factory=dict)
    """The reaches end to end: each slot's cell (``rows``) and bound (+inf at sentinels), in the first
    ``end`` entries of each buffer; each reach's ``start`` and ``size`` (slots before its sentinel);
    the position of the reach of each cell (``of_cell``) and of each national government's seat
    (``of_seat``), -1 until built."""

    def __post_init__(self) -> None:
        self.slots.update(rows=np.empty(0, dtype=np.int64), bound=np.empty(0), end=0,
                          start=np.empty(0, dtype=np.int64), size=np.empty(0, dtype=np.int64),
                          of_cell=np.full(len(self.cells.radius), -1, dtype=np.int64),
                          of_seat=np.full(len(self.cells.cell_of), -1, dtype=np.int64))

    def fits(self, model: DiplomacyModel, gamma: float, d_min: float) -> bool:
        return self.gamma == gamma and self.d_min == d_min and self.cells.fits(model)

    def f(self, d: np.ndarray) -> np.ndarray:
        """The distance deterrence max(d, d_min)^-γ."""
        return np.maximum(d, self.d_min) ** -self.gamma

    def positions(self, model: DiplomacyModel, proposers: np.ndarray) -> np.ndarray:
        """The position of each proposer's reach among those built, building the new ones.

        A proposer's reach is its cell's, or for a national government that
        of its seat (a cell of radius 0).  The new reaches of a call are built
        together (``_reaches``), in the order their first proposers come."""
        slots, cell = self.slots, self.cells.cell_of[proposers]
        found = np.where(cell >= 0, slots["of_cell"][np.maximum(cell, 0)], slots["of_seat"][proposers])
        if (found >= 0).all():
            return found
        new = np.flatnonzero(found < 0)
        _, first = np.unique(np.where(cell[new] >= 0, cell[new], -1 - proposers[new]), return_index=True)
        builders = proposers[new[np.sort(first)]]
        keys = self.cells.cell_of[builders]
        built, end = len(slots["start"]), slots["end"]
        blocks = [self._reaches(model, builders[block], keys[block]) for block in
                  (slice(chunk, chunk + _REACHES_AT_ONCE) for chunk in range(0, len(builders), _REACHES_AT_ONCE))]
        new_size = np.concatenate([size for _, _, size in blocks])
        added = int((new_size + 1).sum())
        if end + added > len(slots["rows"]):  # doubled, not grown by each call's few new reaches
            capacity = max(2 * len(slots["rows"]), end + added)
            slots["rows"] = np.concatenate([slots["rows"][:end], np.zeros(capacity - end, dtype=np.int64)])
            slots["bound"] = np.concatenate([slots["bound"][:end], np.full(capacity - end, np.inf)])
        slots["rows"][end:end + added] = np.concatenate([rows for rows, _, _ in blocks])
        slots["bound"][end:end + added] = np.concatenate([bound for _, bound, _ in blocks])
        slots["end"] = end + added
        at = built + np.arange(len(builders))
        slots["of_cell"][keys[keys >= 0]] = at[keys >= 0]
        slots["of_seat"][builders[keys < 0]] = at[keys < 0]
        slots["start"] = np.append(slots["start"], end + np.concatenate([[0], np.cumsum(new_size + 1)[:-1]]))
        slots["size"] = np.append(slots["size"], new_size)
        return np.where(cell >= 0, slots["of_cell"][np.maximum(cell, 0)], slots["of_seat"][proposers])

    def _reaches(self, model: DiplomacyModel, proposers: np.ndarray,
                 keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The reaches of cells ``keys`` (-1: the seat of national ``proposers[r]``), laid end to end.

        Each reach is its slots (the fine cells of its near foreign coarse
        cells, then its far foreign coarse cells) and a sentinel (cell 0,
        bound +inf: always rejected); returns every slot's cell and bound
        f(L), and each reach's number of slots before its sentinel.
        """
        c, two_r, m = self.cells, 2.0 * self.cells.earth_radius_km, len(proposers)
        seat, key = keys < 0, np.maximum(keys, 0)
        here = np.where(seat[:, None], model.actors.unit_xyz[proposers], c.centre[key])
        spread = np.where(seat, 0.0, c.radius[key])
        here_sq = (here ** 2).sum(axis=1)

        def bound_of(chord, rows, reach):  # f of the least great-circle distance from reach to the cells' members
            return self.f(two_r * np.arcsin(np.clip(0.5 * (chord - c.radius[rows] - spread[reach]), 0.0, 1.0)))

        chord = np.sqrt(np.maximum(c.centre_sq[None, :c.coarse] - 2.0 * here @ c.centre[:c.coarse].T
                                   + here_sq[:, None], 0.0))
        q = _MIN_ACCEPTANCE ** (1.0 / self.gamma) if self.gamma > 0 else 0.0
        foreign = c.country[None, :c.coarse] != model.actors.country[proposers][:, None]
        near = foreign & (chord < (c.radius[None, :c.coarse] + spread[:, None]) * ((1 + q) / (1 - q)))
        near_reach, near_cell = np.nonzero(near)
        count = np.diff(c.children)[near_cell]
        fine = np.arange(count.sum()) + np.repeat(c.children[:-1][near_cell] - np.cumsum(count) + count, count)
        fine_reach = np.repeat(near_reach, count)
        fine_chord = np.sqrt(np.maximum(c.centre_sq[fine] - 2.0 * np.einsum("sk,sk->s", c.centre[fine],
                                                                              here[fine_reach])
                                        + here_sq[fine_reach], 0.0))
        far_reach, far_cell = np.nonzero(foreign & ~near)
        n_near, n_far = np.bincount(fine_reach, minlength=m), np.bincount(far_reach, minlength=m)
        size = n_near + n_far
        offset = np.concatenate([[0], np.cumsum(size + 1)[:-1]]).astype(np.int64)
        rows, bound = np.zeros(int((size + 1).sum()), dtype=np.int64), np.full(int((size + 1).sum()), np.inf)
        at = offset[fine_reach] + np.arange(len(fine)) - np.repeat(np.cumsum(n_near) - n_near, n_near)
        rows[at], bound[at] = fine, bound_of(fine_chord, fine, fine_reach)
        at = (offset[far_reach] + n_near[far_reach] + np.arange(len(far_cell))
              - np.repeat(np.cumsum(n_far) - n_far, n_far))
        rows[at], bound[at] = far_cell, bound_of(chord[far_reach, far_cell], far_cell, far_reach)
        return rows, bound, size


@dataclass
class GravityTable:
    """One step's gravity sampling table for one model (``model.partner_table``)."""

    bounds: _Bounds
    alpha: float
    mass: np.ndarray          # (actors,) pop^α·(1 + visibility) (population scaled by its maximum), 0 off the pool
    cell_cum: np.ndarray      # (rows, leaf) members' masses cumulated within each cell, divided by the cell's total
    cell_total: np.ndarray    # (rows,) M_c
    stats: dict = field(default_factory=lambda: dict.fromkeys(("proposals", "draws", "rejected", "fallbacks"), 0))
    """This step's sampler counters: proposals, envelope draws, draws rejected by the distance test,
    and proposals completed by the exact fallback."""

    @cached_property
    def member_key(self) -> np.ndarray:
        """Row r's cumulated member shares plus r, flattened: one increasing table for every cell at once."""
        shares = np.where(np.isnan(self.cell_cum), 1.0, self.cell_cum)  # a cell of mass 0 (never drawn)
        shares += np.arange(len(shares))[:, None]
        return shares.ravel()

    def joined(self, model: DiplomacyModel, proposers: np.ndarray) -> _Joined:
        """The envelopes of ``proposers``' cells laid end to end, so that one search serves every proposer.

        The envelope of a proposer cell A is the cumulative weight of its
        slots, M_B·f(L_AB) with this step's cell masses: the slots of every
        distinct cell among the proposers are gathered in one indexing and
        cumulated in one sum (sentinels weigh 0).
        """
        if not len(proposers):
            nothing = np.empty(0, dtype=np.int64)
            return _Joined(nothing, nothing, np.empty(0), np.empty(0), np.empty(0), nothing, np.empty(0))
        slots = self.bounds.slots
        unique, which = np.unique(self.bounds.positions(model, proposers), return_inverse=True)
        first, size = slots["start"][unique], slots["size"][unique]
        start = np.concatenate([[0], np.cumsum(size + 1)[:-1]]).astype(np.int64)
        gathered = np.repeat(first - start, size + 1) + np.arange(int((size + 1).sum()))
        rows, bound = slots["rows"][gathered], slots["bound"][gathered]
        with np.errstate(invalid="ignore"):  # a sentinel's bound is +inf, and a cell of mass 0 gives 0·inf
            weight = self.cell_total[rows] * bound
        weight[start + size] = 0.0  # the sentinels
        cumulative = np.cumsum(weight)
        base = np.where(start > 0, cumulative[np.maximum(start - 1, 0)], 0.0)
        total = cumulative[start + size] - base
        return _Joined(start=start[which], sentinel=size[which], total=total[which], base=base[which],
                       cumulative=cumulative, rows=rows, bound=bound)


@dataclass(frozen=True)
class _Joined:
    """Envelopes of several proposers end to end: per proposer its start, sentinel slot, total and offset."""

    start: np.ndarray
    sentinel: np.ndarray      # S, the local index of the proposer's sentinel slot
    total: np.ndarray
    base: np.ndarray          # the totals of the envelopes before the proposer's
    cumulative: np.ndarray    # every envelope's cumulative weights plus its base
    rows: np.ndarray          # the cell of each slot
    bound: np.ndarray         # each slot's bound f(L)

    def take(self, rows: np.ndarray) -> _Joined:
        """The same envelopes, for the proposers at positions ``rows``."""
        return _Joined(self.start[rows], self.sentinel[rows], self.total[rows], self.base[rows],
                       self.cumulative, self.rows, self.bound)


_COMPACT = 1.0        # a proposer's coarse cell stands for it if its radius is ≤ this share of its foreign gap
LEAF_DIVISOR = 16.0    # coarse cells hold at most √(N / LEAF_DIVISOR) subnationals, fine cells a quarter
_MIN_ACCEPTANCE = 0.5  # a coarse cell whose acceptance could fall below this is replaced by its fine cells
_ROUNDS = 4            # envelope batches before the exact fallback completes the list
_REACHES_AT_ONCE = 256  # reaches built in one block (a block holds reaches × coarse cells)


@PARTNER_RULES.register("gravity")
@dataclass(frozen=True)
class GravityPartner(_WeightedPool):
    """Gravity model: P(j) ∝ pop_j^α · (1 + visibility_j) / max(d_ij, d_min)^γ over foreign subnationals.

    Tinbergen, J. (1962). Shaping the World Economy: Suggestions for an
    International Economic Policy. Twentieth Century Fund; Zipf, G. K. (1946).
    The P1P2/D hypothesis: on the intercity movement of persons. American
    Sociological Review 11(6), 677–686.  Interaction grows with the partner's
    mass and visibility (profile, plus standing where the model has it) and
    falls with the great-circle distance d_ij, floored at ``min_distance_km``.
    The pool is every subnational of another country than the proposer's.

    The sampler is exact — the K candidates are K successive draws without
    replacement from that distribution — and never scores all N actors:

    * once per model the pool is cut into compact cells of one country each,
      coarse ones and, inside each, fine ones (``_Cells``); once per step the
      table holds each cell's members' masses m_j = pop_j^α·(1 + visibility_j),
      cumulated, and their total M_c;
    * from the proposer's cell A (centre a, radius r_A: its coarse cell if
      that is small beside its distance to any foreign cell, else its fine
      cell) the triangle
      inequality bounds the distance to every member of a cell B from below,
      L_AB = arc(|a - b| - r_A - r_B), so M_B·f(L_AB), f(d) = max(d, d_min)^-γ,
      bounds the cell's gravity weight from above.  Compatriot cells weigh 0.
      A coarse cell so near that its bound is loose (acceptance possibly
      under 1/2) is replaced in the envelope by its fine cells, bounded the
      same way;
    * a draw picks a cell from that envelope (its cumulative table is built
      once per step and proposer cell), then member j of the cell with
      probability m_j/M_B, and accepts j with probability f(d_ij)/f(L_AB) ≤ 1.
      A rejected draw starts again from the top, so an accepted j has
      probability exactly ∝ m_j·f(d_ij) (rejection sampling, von Neumann
      1951); repeats are rejected the same way, so successive accepted draws
      are sampling without replacement.  Draws come in vectorised batches,
      for all the proposals of a month at once (``choose_many``: every
      proposer's envelope laid end to end, one search for all draws);
      after a few batches an exact Efraimidis–Spirakis pass over the remaining
      foreign pool completes the list (rare: a pool dominated by a few heavy
      candidates).

    The cell geometry is exact (centres and radii from the members), so the
    law never depends on the partition, only the speed does.  With
    leaf ≈ √(N/16) members per coarse cell, a proposal costs O(1) batches of
    draws plus, once per step and proposer cell, O(N/leaf + near fine cells):
    sub-linear in N.  If the foreign pool has at most K members they are all
    returned.
    """

    alpha: float = field(default=1.0, metadata=bounds(0))
    gamma: float = field(default=1.0, metadata=bounds(0))
    min_distance_km: float = field(default=10.0, metadata=bounds(0.001))

    def prepare(self, model: DiplomacyModel) -> GravityTable:
        previous = model.partner_table
        known = previous.bounds if isinstance(previous, GravityTable) else None
        if known is not None and known.fits(model, self.gamma, self.min_distance_km):
            bounds_ = known
        else:
            cells = known.cells if known is not None and known.cells.fits(model) else _Cells.build(model)
            bounds_ = _Bounds(cells, self.gamma, self.min_distance_km)
        pool, members = model.pool, bounds_.cells.members
        mass = np.zeros(len(model.actors.country))
        if len(pool):
            population = model.actors.population[pool].astype(float)
            top = population.max()
            scaled = population / top if top > 0 else population
            mass[pool] = np.maximum(scaled ** self.alpha * (1.0 + _visibility(model, pool)), 0.0)
        cell_cum = np.cumsum(np.where(members >= 0, mass[members], 0.0), axis=1)
        cell_total = cell_cum[:, -1].copy()
        with np.errstate(invalid="ignore", divide="ignore"):  # a cell of mass 0 is never drawn
            cell_cum /= cell_total[:, None]  # the last member's entry is exactly 1
        return GravityTable(bounds=bounds_, alpha=self.alpha, mass=mass, cell_cum=cell_cum, cell_total=cell_total)

    def _table(self, model: DiplomacyModel) -> GravityTable:
        table = model.partner_table
        if (isinstance(table, GravityTable) and table.alpha == self.alpha
                and table.bounds.fits(model, self.gamma, self.min_distance_km)):
            return table
        return self.prepare(model)  # no table of this rule for this model: build one (not stored)

    def choose_many(self, model: DiplomacyModel, proposers: np.ndarray) -> np.ndarray:
        """The candidates of each of ``proposers`` (one row each, padded with -1).

        Every round draws a batch for every proposer still short of K at once
        (the batch doubles each round); a row keeps its earlier picks, then its
        new accepted draws not yet picked, in drawn order.
        """
        t = self._table(model)
        cells, k, st = t.bounds.cells, self.candidates, t.stats
        pool, country = model.pool, model.actors.country
        st["proposals"] += len(proposers)
        out = np.full((len(proposers), k), -1, dtype=np.int64)
        home = country[proposers]
        whole = len(pool) - cells.country_size[home] <= k
        for r in np.flatnonzero(whole).tolist():  # the whole foreign pool
            foreign = pool[country[pool] != home[r]]
            out[r, :len(foreign)] = foreign
        pending = np.flatnonzero(~whole)
        joined = t.joined(model, proposers[pending])
        massless = ~(joined.total > 0)
        rng = model.stream("partner")
        for r in pending[massless].tolist():  # every foreign candidate has mass 0: uniform among them
            picked = _foreign_unique(model, int(proposers[r]), pool[rng.integers(0, len(pool), 4 * k)])[:k]
            out[r, :len(picked)] = picked
        pending, joined = pending[~massless], joined.take(np.flatnonzero(~massless))
        batch = max(2 * k, 16)
        for _ in range(_ROUNDS):
            if not len(pending):
                return out
            drawn, accepted = self._draw(model, t, proposers[pending], joined, batch, rng)
            out[pending] = _first_distinct(np.concatenate([out[pending], drawn], axis=1),
                                           np.concatenate([out[pending] >= 0, accepted], axis=1), k)
            short = (out[pending, -1] < 0)
            pending, joined = pending[short], joined.take(np.flatnonzero(short))
            batch *= 2
        for r in pending.tolist():
            st["fallbacks"] += 1
            out[r] = padded([self._complete(model, t, int(proposers[r]), _row(out[r]))], k)[0]
        return out

    def _draw(self, model: DiplomacyModel, t: GravityTable, proposers: np.ndarray, joined: _Joined,
              batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``batch`` envelope draws for each proposer and whether each passed the distance test."""
        cells, gamma, d_min = t.bounds.cells, self.gamma, self.min_distance_km
        u = rng.random((3, len(proposers), batch))
        raw = _search(joined.cumulative, joined.base[:, None] + u[0] * joined.total[:, None])
        slot = np.minimum(raw - joined.start[:, None], joined.sentinel[:, None])
        at = joined.start[:, None] + slot
        row = joined.rows[at]
        leaf = cells.members.shape[1]
        member = _search(t.member_key, row + u[1]) - row * leaf
        j = cells.members[row, np.minimum(member, leaf - 1)]
        if gamma > 0:
            xyz = model.actors.unit_xyz
            cosine = np.einsum("rbk,rk->rb", xyz[j], xyz[proposers])
            d = cells.earth_radius_km * np.arccos(np.minimum(cosine, 1.0))
            accepted = u[2] * joined.bound[at] < np.maximum(d, d_min) ** -gamma
        else:
            accepted = slot < joined.sentinel[:, None]
        t.stats["draws"] += accepted.size
        t.stats["rejected"] += accepted.size - int(accepted.sum())
        return j, accepted

    def _complete(self, model: DiplomacyModel, t: GravityTable, proposer: int, picked: np.ndarray) -> np.ndarray:
        """Complete ``picked`` with the next draws without replacement, scoring the remaining foreign pool."""
        pool = model.pool
        rest = pool[(model.actors.country[pool] != model.actors.country[proposer]) & ~np.isin(pool, picked)]
        w = t.mass[rest] * t.bounds.f(model.distance_km(proposer, rest))
        rest, w = rest[w > 0], w[w > 0]
        need = self.candidates - len(picked)
        if need <= 0 or not len(rest):
            return picked
        more = _weighted_without_replacement(model.stream("partner"), rest, w, min(need, len(rest)))
        return np.concatenate([picked, more])


@PARTNER_RULES.register("network")
@dataclass(frozen=True)
class NetworkPartner(_WeightedPool):
    """Candidates drawn first from co-members of the proposer's city networks.

    City networks lower the cost of finding partners (DESIGN.md §4; the
    "networks of networks" of the article).  Each draw picks one of the
    proposer's networks at random and a member of it; a proposer in no
    network, or whose networks hold too few foreign members, completes its
    list uniformly at random.
    """

    def choose(self, model: DiplomacyModel, proposer: int) -> np.ndarray:
        nets = model.memberships_of(proposer)
        picked = np.empty(0, dtype=np.int64)
        if nets:
            sizes = np.array([len(model.network_members[m]) for m in nets])
            rng = model.stream("partner")
            which = rng.choice(len(nets), size=2 * self.candidates, p=sizes / sizes.sum())
            picked = np.array([model.network_members[nets[w]][rng.integers(sizes[w])]
                               for w in which], dtype=np.int64)
            picked = _foreign_unique(model, proposer, picked)
        if len(picked) < self.candidates:
            extra = _foreign_unique(model, proposer, self.draw(model, 2 * self.candidates))
            picked = _foreign_unique(model, proposer, np.concatenate([picked, extra]))
        return picked[: self.candidates]

    def choose_many(self, model: DiplomacyModel, proposers: np.ndarray) -> np.ndarray:
        return padded([self.choose(model, p) for p in proposers.tolist()], self.candidates)


# ---------------------------------------------------------------------- friends of friends


class _OtherPartnerRules:
    """The registered partner rules a friends-of-friends rule may use as its base (checked when built)."""

    def __contains__(self, name: object) -> bool:
        return name in PARTNER_RULES.classes and name != "friends_of_friends"

    def __iter__(self):
        return iter([n for n in PARTNER_RULES.names() if n != "friends_of_friends"])


@PARTNER_RULES.register("friends_of_friends")
@dataclass(frozen=True)
class FriendsOfFriendsPartner(_WeightedPool):
    """Meeting friends of friends: each candidate slot is, with probability ``share``, a partner's partner.

    Jackson, M. O. & Rogers, B. W. (2007). Meeting strangers and friends of
    friends: how random are social networks? American Economic Review 97(3),
    890–915.  Links are found partly at random (here: by the ``base`` rule,
    built with its default parameters and this rule's ``candidates``) and
    partly by search through the current network: a slot drawn with
    probability ``share`` goes to a foreign subnational drawn uniformly, without
    replacement, among the partners of the proposer's partners (actors with a
    pair agreement in force with one of them), never the proposer.  Slots for
    which no partner's partner is left go to the base rule.  Search closes
    triangles: clustering and assortativity rise with ``share``.
    """

    share: float = field(default=0.5, metadata=bounds(0, 1))
    """Probability that a candidate slot is searched among partners' partners."""
    base: str = field(default="gravity", metadata={"choices": _OtherPartnerRules()})
    """The partner rule of the other slots (meeting strangers)."""
    base_rule: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_rule", PARTNER_RULES.classes[self.base](candidates=self.candidates))

    def prepare(self, model: DiplomacyModel) -> Any:
        return self.base_rule.prepare(model)

    def friends_of_friends(self, model: DiplomacyModel, proposer: int) -> np.ndarray:
        """Foreign subnationals with a pair agreement in force with a partner of ``proposer``, sorted."""
        partners = model.partners_of(proposer)
        if not len(partners):
            return partners
        found = np.unique(np.concatenate([model.partners_of(int(p)) for p in partners.tolist()]))
        country = model.actors.country
        return found[(found < len(model.pool)) & (found != proposer) & (country[found] != country[proposer])]

    def choose(self, model: DiplomacyModel, proposer: int) -> np.ndarray:
        k = self.candidates
        rng = model.stream("partner")
        searched = int((rng.random(k) < self.share).sum()) if self.share > 0 else 0
        picked = np.empty(0, dtype=np.int64)
        if searched:
            fof = self.friends_of_friends(model, proposer)
            if len(fof):
                picked = fof[rng.permutation(len(fof))[:searched]]
        if len(picked) == k:
            return picked
        met = self.base_rule.choose(model, proposer)
        met = met[~np.isin(met, picked)]
        return np.concatenate([picked, met[: k - len(picked)]])

    def choose_many(self, model: DiplomacyModel, proposers: np.ndarray) -> None:
        """None: partners' partners change with every agreement signed, so each proposal draws its own."""
        return None
