"""Declarations signed through threshold cascades (rule group ``declarations``).

Granovetter, M. (1978). Threshold models of collective behavior. American
Journal of Sociology 83(6), 1420–1443.

Actor i joins once the weighted share of its neighbours that have joined
reaches its threshold θ_i; an actor with θ_i ≤ 0 joins at once.  Granovetter's
example: 100 people with thresholds 0, 1, ..., 99 (people needed) all riot,
one after the other; raise the threshold of the one at 1 to 2 and only the
first riots.  ``threshold_cascade`` is the plain function on any graph; the
``threshold`` rule runs the cascade for the declarations of a scenario's
timeline (the Istanbul Water Consensus, 2009), one synchronous round per
month while the declaration is open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Literal

import numpy as np

from model.agreements import Agreement
from model.rules.registry import Registry
from model.scenario import DOMAINS, DeclarationSpec
from model.validation import bounds

if TYPE_CHECKING:
    from model.model import DiplomacyModel

DECLARATION_RULES = Registry("declarations")
_TOLERANCE = 1e-12  # a share equal to a threshold up to rounding reaches it


def cascade(thresholds: np.ndarray, share: Callable[[np.ndarray], np.ndarray], joined: np.ndarray,
            rounds: int | None = None) -> np.ndarray:
    """Synchronous threshold dynamics from ``joined`` (bool array): who has joined after ``rounds``.

    Each round every actor whose ``share(joined)`` is at least its threshold
    joins (shares are ≥ 0, so a threshold ≤ 0 joins in the first round).  Joining is
    never undone and shares only grow, so the dynamics reach a fixed point
    within n rounds; ``rounds=None`` runs to it.
    """
    joined = np.asarray(joined, dtype=bool)
    done = 0
    while rounds is None or done < rounds:
        grown = joined | (share(joined) >= thresholds - _TOLERANCE)
        done += 1
        if (grown == joined).all():
            break
        joined = grown
    return joined


def share_of(neighbour_sum: Callable[[np.ndarray], np.ndarray], weights: np.ndarray
             ) -> Callable[[np.ndarray], np.ndarray]:
    """The weighted share of joined neighbours, for ties T given by ``neighbour_sum(v) = T·v``.

    share(joined)_i = Σ_j T_ij·w_j·joined_j / Σ_j T_ij·w_j, and 0 for an actor without neighbours.
    """
    total = neighbour_sum(weights)

    def share(joined: np.ndarray) -> np.ndarray:
        return np.divide(neighbour_sum(weights * joined), total, out=np.zeros(len(total)), where=total > 0)

    return share


def threshold_cascade(thresholds, adjacency, weights=None) -> np.ndarray:
    """The fixed point of Granovetter's threshold model: a bool array, True for those who join.

    ``thresholds``: (n,) shares in [0, 1] (≤ 0 joins at once; > 1 never
    joins); ``adjacency``: (n, n) tie strengths (0/1 or weighted; the diagonal
    is ignored); ``weights``: (n,) weight of each actor as a neighbour
    (default 1).  Actor i's share is Σ_j A_ij·w_j·joined_j / Σ_j A_ij·w_j
    (0 for an actor without neighbours).
    """
    theta = np.asarray(thresholds, dtype=float)
    a = np.array(adjacency, dtype=float)
    n = len(theta)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if a.shape != (n, n) or w.shape != (n,):
        raise ValueError(f"thresholds (n,), adjacency (n, n) and weights (n,) must agree; "
                         f"got {theta.shape}, {a.shape}, {w.shape}")
    np.fill_diagonal(a, 0.0)
    return cascade(theta, share_of(lambda v: a @ v, w), np.zeros(n, dtype=bool))


@DECLARATION_RULES.register("threshold")
@dataclass(frozen=True)
class ThresholdDeclarations:
    """Granovetter (1978) thresholds for signing a declaration.

    When a declaration opens, every subnational i draws a threshold from
    ``distribution`` (uniform on mean ± spread, or normal(mean, spread)); the
    draw is clipped to [0, 1] and shifted by two assumptions, and the result
    is clipped to [0, 1] again:

        θ_i = clip( clip(draw_i, 0, 1) + interest_effect·(1 − w_i,d)
                    − network_discount·[i is a member of at least one backing network], 0, 1 )

    w_i,d is i's interest in the declaration's domain d: a city that cares
    less about d needs more of its peers to sign.  A network's campaign
    brings its members to sign sooner; the discount is applied once, however
    many backing networks (``spec.networks`` and a convening network) i
    belongs to.  After the final clip θ_i = 0 signs in the first round and
    θ_i = 1 signs only when every neighbour (by weight) has signed; an actor
    without neighbours signs only with θ_i = 0.  Departure from Granovetter:
    his thresholds are a share in [0, 1] by definition; the shifts are this
    model's assumptions, and the final clip keeps them a share.

    The convenor, when a subnational, signs at opening.  Each month the
    declaration is open, every subnational whose weighted share of signing
    neighbours reaches θ_i signs (``rounds_per_step`` synchronous rounds a
    month).  Neighbours are the agreement and co-membership ties of
    ``model.rules.ties``; a neighbour weighs its population, its GDP or 1
    (``weight``).
    """

    distribution: Literal["uniform", "normal"] = "uniform"
    mean: float = field(default=0.35, metadata=bounds(0, 1))
    spread: float = field(default=0.25, metadata=bounds(0))
    """Half-width of the uniform distribution, or standard deviation of the normal."""
    interest_effect: float = field(default=0.7, metadata=bounds(0))
    network_discount: float = field(default=0.3, metadata=bounds(0, 1))
    weight: Literal["population", "gdp", "equal"] = "population"
    agreement_weight: float = field(default=1.0, metadata=bounds(0))
    membership_weight: float = field(default=1.0, metadata=bounds(0))
    rounds_per_step: int = field(default=1, metadata=bounds(1))

    def thresholds(self, model: DiplomacyModel, spec: DeclarationSpec, rng: np.random.Generator) -> np.ndarray:
        """Each subnational's threshold for signing declaration ``spec``."""
        n = len(model.pool)
        if self.distribution == "uniform":
            theta = rng.uniform(self.mean - self.spread, self.mean + self.spread, n)
        else:
            theta = rng.normal(self.mean, self.spread, n)
        theta = np.clip(theta, 0.0, 1.0)
        theta += self.interest_effect * (1.0 - model.actors.interests[model.pool, DOMAINS.index(spec.domain)])
        theta -= self.network_discount * self.backed(model, spec)
        return np.clip(theta, 0.0, 1.0)

    @staticmethod
    def backed(model: DiplomacyModel, spec: DeclarationSpec) -> np.ndarray:
        """Whether each subnational is a member of at least one network backing ``spec`` (bool array)."""
        backers = set(spec.networks)
        if model.by_id[spec.convenor].type_name == "network":
            backers.add(spec.convenor)
        columns = [model.by_id[net].column for net in sorted(backers)]
        return model.actors.membership[: len(model.pool)][:, columns].any(axis=1)

    def neighbour_weights(self, model: DiplomacyModel) -> np.ndarray:
        if self.weight == "equal":
            return np.ones(len(model.pool))
        column = model.actors.population if self.weight == "population" else model.actors.gdp
        return column[model.pool].astype(float)

    def start(self, model: DiplomacyModel) -> Declarations:
        return Declarations(self, model)


@dataclass
class OpenDeclaration:
    """A declaration open for signature: its agreement, thresholds and signatories."""

    spec: DeclarationSpec
    agreement: Agreement
    thresholds: np.ndarray
    signed: np.ndarray


class Declarations:
    """The declarations of one model run.

    A declaration is an ``Agreement`` of kind ``declaration`` whose parties
    are its signatories, in order of signature.  Ledger events: ``opened``
    (actor: the convenor), ``endorsed`` (one per signature; actor: the
    signatory) and ``closed``; ``detail`` holds the declaration's id.  It is
    ``proposed`` until its first signature and then in force (``active``, in
    ``model.live`` and ``active_by_kind.declaration``) for the rest of the
    run; it never counts toward actors' degrees.
    """

    def __init__(self, rule: ThresholdDeclarations, model: DiplomacyModel):
        self.rule, self.model = rule, model
        self.rng = model.stream("declarations")
        self.specs = model.spec.timeline.declarations
        self.agreements: dict[str, Agreement] = {}
        self.open: dict[str, OpenDeclaration] = {}

    def signatories(self, declaration_id: str) -> int:
        ag = self.agreements.get(declaration_id)
        return len(ag.parties) if ag is not None else 0

    def open_for_signature(self, spec: DeclarationSpec, month: int) -> None:
        m = self.model
        convenor = m.by_id[spec.convenor].index
        ag = m.new_agreement((), DOMAINS.index(spec.domain), "declaration")
        ag.proposed_step, ag.convenor = month, convenor
        decl = OpenDeclaration(spec, ag, self.rule.thresholds(m, spec, self.rng), np.zeros(len(m.pool), dtype=bool))
        self.agreements[spec.id], self.open[spec.id] = ag, decl
        m.ledger.record(month, "opened", ag, actor=convenor, parties=(convenor,), detail=spec.id)
        if m.is_subnational(convenor):
            self._endorse(decl, [convenor], month)

    def close(self, spec: DeclarationSpec, month: int) -> None:
        decl = self.open.pop(spec.id)
        convenor = decl.agreement.convenor
        self.model.ledger.record(month, "closed", decl.agreement, actor=convenor, parties=(convenor,),
                                 detail=spec.id)

    def step(self) -> None:
        """One month of signatures for every open declaration."""
        if not self.open:
            return
        ties, rule = self.model.city_ties(), self.rule
        share = share_of(lambda v: ties.sum(v, rule.agreement_weight, rule.membership_weight),
                         rule.neighbour_weights(self.model))
        for decl in self.open.values():
            joined = cascade(decl.thresholds, share, decl.signed, rounds=self.rule.rounds_per_step)
            self._endorse(decl, np.flatnonzero(joined & ~decl.signed).tolist(), self.model.month)

    def _endorse(self, decl: OpenDeclaration, actors: list[int], month: int) -> None:
        m, ag = self.model, decl.agreement
        for i in actors:
            decl.signed[i] = True
            ag.parties += (i,)
            m.ledger.record(month, "endorsed", ag, actor=i, parties=(i,), detail=decl.spec.id)
        if actors and ag.status == "proposed":
            ag.status, ag.signed_step = "active", month
            m.count_live(ag, +1)

    def reporters(self) -> dict[str, Callable]:
        """Signatories so far of each declaration of the timeline (0 before it opens)."""
        return {f"declaration_signatories.{spec.id}": lambda m, k=spec.id: self.signatories(k)
                for spec in self.specs}
