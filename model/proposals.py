"""Proposals valued in batches: one proposal (``DiplomacyModel.offer``) or a month of them at once.

A proposal draws a domain and K candidates, drops the candidates without
room this year or already holding an agreement with the proposer in the
domain (and, for a national proposer, those of hostile nations), values the
rest (V + η, the utility rule) times the chance that the proposer's own
government lets it sign, and proposes to the best when that exceeds the
proposal's cost plus the proposer's scarcity; the partner accepts when its
own V + η exceeds its scarcity (see ``DiplomacyModel.offer``).
``value_offers`` computes all of this for many proposals at once, one row
each, and ``make_offer`` acts on one row.

A month of one group's proposals (``propose_month``: the subnationals', then
the national governments') is valued in one batch against the state when the
group's turn comes, then acted on in the month's order.  This is exactly the
sequential process: what a proposal draws does not depend on the proposals
before it (domains read the month's salience, candidates the step's partner
table: a rule whose draws read the month's agreements returns None from
``choose_many`` and is not batched),
and an earlier proposal changes what a later one computes only through an
agreement it signs, which changes its two parties' count this year, stock
in the domain and pairs in force, nothing else (trust, standing,
memberships, stances and relations move outside the proposal phase).  So a
proposal whose proposer or candidates have signed since the month began is
valued again against the current state, with the shocks η it drew
(``Offers.revalue``: η does not depend on the state); every other one uses
the batch's values, which are then what ``offer`` would compute.  Same rules
and distributions; only the order of the random draws differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.agreements import Agreement

if TYPE_CHECKING:
    from model.model import DiplomacyModel


@dataclass(frozen=True)
class Offers:
    """Proposals valued against the state when valued, one row each.

    What room (candidates' and proposers') and scarcity do to a decision is
    read when deciding (``decide``): those change with every agreement
    signed, the values only with agreements signed by the same actors in
    the same domain, or by the same pair (``revalue``).
    """

    proposers: np.ndarray
    candidates: np.ndarray  # (n, k) padded with -1
    domains: np.ndarray
    score: np.ndarray       # (n, k) (V_i + η_i)·chance to sign; -inf where the candidate is out of reach
    answer: np.ndarray      # (n, k) the candidate's own V_j + η_j
    eta: np.ndarray         # (n, k, 2) both sides' shocks η
    gross: tuple            # the utility rule's parts of V that signing does not move, each (n, k)
    reachable: np.ndarray   # (n, k) a candidate (not padding; for a national, not hostile)
    chance: np.ndarray      # (n, k) the chance to sign, NaN in rows where no candidate was worth asking it
    approval: np.ndarray    # (n, k) P(the proposer's own government approves), NaN where ``chance`` is

    def decide(self, model: DiplomacyModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For proposals ``rows``, with today's room and scarcity: (proposes, best column, accepts)."""
        a, utility = model.actors, model.rules.utility
        candidates = self.candidates[rows]
        safe = np.maximum(candidates, 0)
        score = np.where(a.signed_this_year[safe] < a.capacity[safe], self.score[rows], -np.inf)
        if not score.shape[1]:
            return np.zeros(len(rows), dtype=bool), np.zeros(len(rows), dtype=np.int64), np.zeros(len(rows), bool)
        best = np.argmax(score, axis=1)
        at = np.arange(len(rows))
        proposes = score[at, best] > utility.proposal_cost + utility.scarcity(model, self.proposers[rows])
        accepts = self.answer[rows, best] > utility.scarcity(model, safe[at, best])
        return proposes, best, accepts

    def decide_row(self, model: DiplomacyModel, r: int) -> tuple[bool, int, bool]:
        """``decide`` for the one row ``r``, in Python scalars: a month's proposals that must be decided
        again come one at a time, and eight candidates are cheaper in a loop than in array calls."""
        if not self.score.shape[1]:
            return False, 0, False
        signed, capacity, utility = model.actors.signed_this_year, model.actors.capacity, model.rules.utility
        best, top = 0, -np.inf
        for column, (j, score) in enumerate(zip(self.candidates[r].tolist(), self.score[r].tolist())):
            if score > top and signed[max(j, 0)] < capacity[max(j, 0)]:  # the first best, as argmax
                best, top = column, score
        proposes = top > utility.proposal_cost + utility.scarcity(model, int(self.proposers[r]))
        partner = max(int(self.candidates[r, best]), 0)
        return bool(proposes), best, bool(self.answer[r, best] > utility.scarcity(model, partner))

    def revalue(self, model: DiplomacyModel, r: int) -> None:
        """Value row ``r`` again against the current state, with its own shocks η (in place).

        Only what signing moves is read again: the pairs' and domains' stocks
        (the utility rule's discount), the pairs that now hold an agreement
        in the domain, and the proposer's scarcity; the gross values, the
        shocks and the chance to sign stand (they move outside the proposal
        phase), so this is what ``value_offers`` would compute now with the
        same shocks.
        """
        utility, i, d = model.rules.utility, self.proposers[r], self.domains[r]
        js = np.where(self.reachable[r], self.candidates[r], i)
        v_i, v_j = utility.combine(tuple(part[r] for part in self.gross), utility.discount(model, i, js, d))
        u_i = v_i + self.eta[r, :, 0]
        threshold = utility.proposal_cost + utility.scarcity(model, int(i))
        held = np.array([model.has_in_force(int(i), j, int(d)) for j in js.tolist()], dtype=bool)
        within = self.reachable[r] & ~held & (u_i > threshold)
        if within.any() and np.isnan(self.chance[r, 0]):
            approval, chance = _chance_to_sign(model, self.proposers[r:r + 1], js[None, :], self.domains[r:r + 1])
            self.approval[r], self.chance[r] = approval[0], chance[0]
        self.score[r] = np.where(within, u_i * self.chance[r], -np.inf)
        self.answer[r] = v_j + self.eta[r, :, 1]


def value_offers(model: DiplomacyModel, proposers: np.ndarray, candidates: np.ndarray,
                 domains: np.ndarray) -> Offers:
    """Value the proposals of ``proposers`` to their ``candidates`` (rows padded with -1) in ``domains``.

    The chance to sign is asked only where it can matter: it is at most 1,
    so a candidate whose V_i + η_i is at most the proposer's threshold (cost
    plus scarcity, never below 0, never lower later) can never be the one
    proposed to.
    """
    a, utility = model.actors, model.rules.utility
    n, k = candidates.shape
    present = candidates >= 0
    js = np.where(present, candidates, proposers[:, None]).ravel()  # padding is valued, then dropped
    i, d = np.repeat(proposers, k), np.repeat(domains, k)
    reachable = present
    national = proposers >= len(model.subnationals)
    if national.any():
        friendly = model.relations[a.country[i], a.country[js]].reshape(n, k) >= 0
        reachable = present & (friendly | ~national[:, None])
    valid = reachable & ~_held(model, i, js, d).reshape(n, k)
    gross = tuple(part.reshape(n, k) for part in utility.gross(model, i, js, d))
    v_i, v_j = utility.combine(gross, tuple(part.reshape(n, k) for part in utility.discount(model, i, js, d)))
    eta = utility.shocks(model, n * k)
    eta = np.stack([eta[0].reshape(n, k), eta[1].reshape(n, k)], axis=2)
    u_i = v_i + eta[:, :, 0]
    threshold = utility.proposal_cost + utility.scarcity(model, proposers)
    within = valid & (u_i > threshold[:, None])
    score = np.full((n, k), -np.inf)
    chance, approval = np.full((n, k), np.nan), np.full((n, k), np.nan)
    rows = np.flatnonzero(within.any(axis=1))
    approval[rows], chance[rows] = _chance_to_sign(model, proposers[rows], js.reshape(n, k)[rows], domains[rows])
    score[rows] = np.where(within[rows], u_i[rows] * chance[rows], -np.inf)
    return Offers(proposers, candidates, domains, score, v_j + eta[:, :, 1], eta, gross, reachable, chance, approval)


def make_offer(model: DiplomacyModel, offers: Offers, r: int, best: int, accepts: bool,
               kind: str | None) -> Agreement:
    """Propose row ``r``'s candidate ``best``: declined, or to oversight (``negotiate``).

    ``kind`` None (a national proposer): decided by the partner, a treaty with
    a nation (bilateral), a state relation with a subnational.
    """
    proposer, partner = int(offers.proposers[r]), int(offers.candidates[r, best])
    domain = int(offers.domains[r])
    if kind is None:
        kind = "state_relation" if model.is_subnational(partner) else "bilateral"
    if not accepts:
        ag = model.new_agreement((proposer, partner), domain, kind)
        model.ledger.record(model.month, "proposed", ag, actor=proposer)
        model.ledger.record(model.month, "declined", ag, actor=partner)
        ag.status = "declined"
        return ag
    eta_i, eta_j = offers.eta[r, best].tolist()
    approval = float(offers.approval[r, best])
    return model.negotiate((proposer, partner), domain, kind, shocks=(eta_i, eta_j),
                           approval=None if np.isnan(approval) else approval)


def propose_month(model: DiplomacyModel, proposers: np.ndarray, candidates: np.ndarray, kind: str | None) -> None:
    """A month's proposals of one group, in order: ``proposers`` (one row per proposal) and their candidates.

    ``kind``: of every agreement (``bilateral`` for subnationals), or None for
    national proposers (decided by the partner, as ``make_offer`` does).

    Each row is decided as ``offer`` would decide it now.  After agreements
    have been signed this month, by their parties (``signed``) in a domain
    (``signed_in``) and by pairs (``pairs``), a row is valued again when its
    values may have moved: the proposer signed in the row's domain (its
    stock discounts every candidate) or with one of its candidates (pair
    count), or its best candidate signed in the domain (its answer).
    Otherwise its scores stand, and only room and scarcity are read again:
    a proposer that signed has a higher threshold, a best candidate that
    signed a higher reservation (and, at its ceiling, gives way to the next
    best).  Scarcity only grows within a year, so a row whose best score was
    below its threshold stays below it.
    """
    domains = model.draw_domains(proposers)
    offers = value_offers(model, proposers, candidates, domains)
    n = len(proposers)
    proposes, best, accepts = offers.decide(model, np.arange(n))
    a, utility = model.actors, model.rules.utility
    at = np.arange(n)
    top = offers.score[at, best]
    room = (a.signed_this_year[proposers] < a.capacity[proposers]).tolist()
    best_of = np.where(np.isfinite(top), candidates[at, best], -1).tolist()
    top, answer = top.tolist(), offers.answer[at, best].tolist()
    proposes, best, accepts = proposes.tolist(), best.tolist(), accepts.tolist()
    signed: set[int] = set()
    signed_in: set[tuple[int, int]] = set()
    pairs: set[tuple[int, int]] = set()
    lists, domain_list = candidates.tolist(), domains.tolist()
    for r, proposer in enumerate(proposers.tolist()):
        if not room[r]:
            continue
        moved = proposer in signed
        if moved and not model.has_room(proposer):
            continue
        d, b = domain_list[r], best_of[r]
        values_moved = ((moved and _pair_or_stock_moved(proposer, lists[r], d, signed_in, pairs))
                        or (b in signed and (b, d) in signed_in))
        if values_moved or (proposes[r] and b in signed and not model.has_room(b)):
            if values_moved:  # valued again, now; else the best is at its ceiling: the next best
                offers.revalue(model, r)
            proposes_now, best_now, accepts_now = offers.decide_row(model, r)
            if not proposes_now:
                continue
            ag = make_offer(model, offers, r, best_now, accepts_now, kind)
        elif not proposes[r]:
            continue
        else:
            if moved and not top[r] > utility.proposal_cost + float(utility.scarcity(model, proposer)):
                continue
            accept = answer[r] > float(utility.scarcity(model, b)) if b in signed else accepts[r]
            ag = make_offer(model, offers, r, best[r], accept, kind)
        if ag is not None and ag.live:
            i, j = ag.parties
            signed_domain = model.domain_index(ag.domain)
            signed.update(ag.parties)
            signed_in.update(((i, signed_domain), (j, signed_domain)))
            pairs.add((i, j) if i < j else (j, i))


def _pair_or_stock_moved(proposer: int, candidates: list[int], domain: int, signed_in: set, pairs: set) -> bool:
    """Whether the proposer signed this month in ``domain`` or with one of ``candidates``."""
    return (proposer, domain) in signed_in or any(
        ((proposer, c) if proposer < c else (c, proposer)) in pairs for c in candidates)


def _held(model: DiplomacyModel, i: np.ndarray, js: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """Whether each pair (i, j) already has an agreement in force in its domain."""
    held, out = model.pair_domains, np.zeros(len(js), dtype=bool)
    look = model.both_partnered(i, js)
    out[look] = [((a, b, d) if a < b else (b, a, d)) in held
                 for a, b, d in zip(i[look].tolist(), js[look].tolist(), domains[look].tolist())]
    return out


def _chance_to_sign(model: DiplomacyModel, proposers: np.ndarray, candidates: np.ndarray,
                    domains: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each proposer's anticipation of its own government: (P(approved), P(approved) + P(vetoed)·assertiveness).

    Friedrich's rule of anticipated reactions: a subnational expects its
    government's answer (its regime's closed-form approval probability,
    asked once per regime for the rows of all the governments under it:
    ``probabilities``) and its own readiness to sign anyway; a national
    proposer answers to nobody (1, 1).  The approval probability is the
    one its government then decides with (``make_offer``).
    """
    a = model.actors
    approval, chance = np.ones(candidates.shape), np.ones(candidates.shape)
    local = np.flatnonzero(proposers < len(model.subnationals))
    if not len(local):
        return approval, chance
    regime_of = model.regime_of[a.country[proposers[local]]]
    for regime in np.unique(regime_of).tolist():
        rows = local[regime_of == regime]
        actors = proposers[rows]
        approve = model.regimes[regime].probabilities(model, actors, candidates[rows], domains[rows])
        assertive = a.assertiveness[actors][:, None]
        approval[rows], chance[rows] = approve, approve + (1.0 - approve) * assertive
    return approval, chance
