"""Private paradiplomacy: firms and business lobbies (rule groups ``lobbying``, ``cofunding``, ``transfer``).

A private actor (``model.agents.PrivateActor``: London First, Cisco) has a
home city, sectors (domains) and a budget in million euros, which gains
``income``/12 each month.  Each month, after the governments' proposals, the
private actors act in random order (stream ``private``), each through three
rules of its own:

``cofunding`` — ``sector_match`` (default): while an actor's budget covers
its ``cofunding_per_agreement`` f, every agreement in one of its sectors
with its home as a party is worth c = ``value_per_million``·f more to both
sides (utility units): c is added to V_i and V_j after the diminishing
returns (it pays part of the transaction cost),

    V_i(j,d) ← V_i(j,d) + C[i,d] + C[j,d],   C[h,d] = Σ_{actors a at home h, d ∈ sectors_a, budget_a ≥ f_a} c_a,

read from the per-model table ``model.cofunding`` (None when nobody
co-funds) in ``MutualConsentUtility.systematic``; the actor pays f (at most
what is left) for each such agreement signed (or signed contested) that
month, ledger event ``cofunded``.  The table is refreshed once a month, so
the month's last agreements may be paid with what is left of the budget.

``lobbying`` — ``home_government`` (default): an actor with a
``lobbying_spend`` L pays L/12 a month (at most what is left); the paid sum
e raises its home's interest in each of its sectors toward 1 and funds
extra yearly capacity while it is paid,

    w_hd ← w_hd + min(1, ρ·e)·(1 − w_hd),   capacity_h = base_h + κ·12·e,

ρ = ``interest_per_million``, κ = ``capacity_per_million`` (event
``lobbied``); and at a campaign's month (``campaigns`` in the scenario) an
actor whose budget covers its cost pays it and its home adopts the
campaign's practice (London First's ``.london`` domain; events ``campaign``
and ``adopted``): a practice a campaign adopts spreads from then on (rule
group ``diffusion``), even before its own ``step``.

``transfer`` — ``partner_adoption`` (default): each month every subnational
that has an agreement in force with an actor's home in the domain of a
practice the actor carries (``practices``), and has not adopted it, adopts
it with probability π = ``probability`` while the home has adopted it and the
actor has budget left (Cisco's smart-city framework: cities that sign a
technology agreement with Barcelona apply it; events ``practice_carried``
and ``adopted``).  This chance is independent of the diffusion rule's own.

Each group has ``none``: the actors do nothing of that kind.

Sources.  The article (Barcelona's agreement with San Francisco, Cisco's
Internet of Things centre opened with the city government, its initial
investment of 30 million and the cities applying its smart-city framework;
London First, a lobby of the City's largest companies, and its ``.london``
campaign).  Lobbying as money buying weight in a government's objective:
Grossman, G. M. & Helpman, E. (1994). Protection for sale. American
Economic Review 84(4), 833–850 — here reduced to a partial adjustment of
the home's interest, not their menu-auction equilibrium (departure).
Business lobbies in London's strategy: Thornley, A., Rydin, Y., Scanlon, K.
& West, K. (2005). Business privilege and the strategic planning agenda of
the Greater London Authority. Urban Studies 42(11), 1947–1968.  Co-funding
as a public–private partnership sharing an undertaking's cost: Hodge, G. A.
& Greve, C. (2007). Public–private partnerships: an international
performance review. Public Administration Review 67(3), 545–558 — the
conversion of money into utility (``value_per_million``) is an assumption.
Firms as agents of policy transfer: Dolowitz, D. P. & Marsh, D. (2000).
Learning from abroad: the role of policy transfer in contemporary
policy-making. Governance 13(1), 5–23; smart-city frameworks carried by
technology firms: Söderström, O., Paasche, T. & Klauser, F. (2014). Smart
cities as corporate storytelling. City 18(3), 307–320.  Every
coefficient's value is an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from model.rules.registry import Registry
from model.scenario import DOMAINS
from model.validation import bounds

if TYPE_CHECKING:
    from model.agents import PrivateActor
    from model.agreements import Agreement
    from model.model import DiplomacyModel

LOBBYING_RULES = Registry("lobbying")
COFUNDING_RULES = Registry("cofunding")
TRANSFER_RULES = Registry("transfer")


def _sectors_text(actor: PrivateActor) -> str:
    return ",".join(DOMAINS[d] for d in actor.sectors)


# ----------------------------------------------------------------------------- lobbying


@LOBBYING_RULES.register("home_government")
@dataclass(frozen=True)
class HomeLobbying:
    """Lobbying the home government (Grossman & Helpman 1994, reduced form): interest and capacity, campaigns.

    Each month an actor with a ``lobbying_spend`` pays a twelfth of it; the
    paid sum e (million euros) moves its home's interest in each sector a
    share min(1, ρ·e) of the way to 1 (the effect stays), and funds κ·12·e
    extra agreements a year of the home's capacity for as long as it is
    paid.  Its campaigns of the month run when the budget covers their cost:
    the home adopts the campaign's practice.
    """

    interest_per_million: float = field(default=0.05, metadata=bounds(0))
    """ρ: share of the gap to full interest closed per million euros spent lobbying."""
    capacity_per_million: float = field(default=1.0, metadata=bounds(0))
    """κ: extra agreements a year of the home's capacity per million euros a year spent lobbying."""

    def lobby(self, model: DiplomacyModel, actor: PrivateActor) -> None:
        for campaign in actor.campaigns:
            if campaign.step == model.month and actor.budget >= campaign.cost:
                actor.pay(campaign.cost, "campaigns")
                model.diffusion.adopt(campaign.practice, [actor.home])
                model.ledger.record(model.month, "campaign", actor=actor.index, kind="private",
                                    domain=model.diffusion.domain_of(campaign.practice), parties=(actor.home,),
                                    detail=f"{campaign.name}:{campaign.practice}")
        if actor.lobbying_spend <= 0:
            return
        paid = actor.pay(actor.lobbying_spend / 12.0, "lobbying")
        a, home = model.actors, actor.home
        share = min(1.0, self.interest_per_million * paid)
        a.interests[home, actor.sectors] += share * (1.0 - a.interests[home, actor.sectors])
        extra = self.capacity_per_million * 12.0 * paid
        a.capacity[home] += extra - actor.capacity_added
        actor.capacity_added = extra
        if paid > 0:
            model.ledger.record(model.month, "lobbied", actor=actor.index, kind="private",
                                domain=_sectors_text(actor), parties=(home,),
                                detail=f"paid={paid:.4g},capacity=+{extra:.4g}")


@LOBBYING_RULES.register("none")
@dataclass(frozen=True)
class NoLobbying:
    """Private actors neither lobby nor campaign."""

    def lobby(self, model: DiplomacyModel, actor: PrivateActor) -> None:
        return None


# ----------------------------------------------------------------------------- co-funding


@COFUNDING_RULES.register("sector_match")
@dataclass(frozen=True)
class SectorCofunding:
    """Co-funding its home's agreements in its sectors (a public–private partnership; Hodge & Greve 2007).

    While its budget covers its ``cofunding_per_agreement`` f, such an
    agreement is worth ``value_per_million``·f more to each side; the actor
    pays f for each one signed.
    """

    value_per_million: float = field(default=0.5, metadata=bounds(0))
    """Utility added to each side of a co-funded agreement per million euros co-funded."""

    def table(self, model: DiplomacyModel, actors: list[PrivateActor]) -> np.ndarray | None:
        """C[h, d]: the utility co-funders at home h add to agreements in domain d; None if there is none."""
        funders = [p for p in actors if p.cofunding_per_agreement > 0 and p.budget >= p.cofunding_per_agreement]
        if not funders or self.value_per_million == 0:
            return None
        bonus = np.zeros((len(model.actors.country), len(DOMAINS)))
        for p in funders:
            bonus[p.home, p.sectors] += self.value_per_million * p.cofunding_per_agreement
        return bonus

    def pay(self, model: DiplomacyModel, actor: PrivateActor, signed: list[Agreement]) -> None:
        if actor.cofunding_per_agreement <= 0:
            return
        sectors = {DOMAINS[d] for d in actor.sectors}
        for ag in signed:
            if actor.home in ag.parties and ag.domain in sectors and actor.budget > 0:
                paid = actor.pay(actor.cofunding_per_agreement, "cofunding")
                model.ledger.record(model.month, "cofunded", ag, actor=actor.index, detail=f"paid={paid:.4g}")


@COFUNDING_RULES.register("none")
@dataclass(frozen=True)
class NoCofunding:
    """Private actors co-fund nothing."""

    def table(self, model: DiplomacyModel, actors: list[PrivateActor]) -> None:
        return None

    def pay(self, model: DiplomacyModel, actor: PrivateActor, signed: list[Agreement]) -> None:
        return None


# ----------------------------------------------------------------------------- transfer


@TRANSFER_RULES.register("partner_adoption")
@dataclass(frozen=True)
class PartnerAdoption:
    """Carrying its practices to its home's partners (a firm as transfer agent; Dolowitz & Marsh 2000).

    Each month every partner of the home with an agreement in force in the
    practice's domain that has not adopted it adopts with probability π,
    while the home has adopted it and the actor has budget left.
    """

    probability: float = field(default=0.1, metadata=bounds(0, 1))
    """π: monthly probability that such a partner adopts the carried practice."""

    def carry(self, model: DiplomacyModel, actor: PrivateActor) -> None:
        if actor.budget <= 0 or not actor.practices:
            return
        rng, home = model.stream("transfer"), actor.home
        for practice in actor.practices:
            if not model.diffusion.has_adopted(practice, home):
                continue
            domain = model.diffusion.domain_of(practice)
            d = DOMAINS.index(domain)
            partners = [j for j in sorted(model.partners.get(home, ()))
                        if model.is_subnational(j) and model.has_in_force(home, j, d)
                        and not model.diffusion.has_adopted(practice, j)]
            if not partners:
                continue
            carried = [j for j, u in zip(partners, rng.random(len(partners))) if u < self.probability]
            model.diffusion.adopt(practice, carried)
            for j in carried:
                model.ledger.record(model.month, "practice_carried", actor=actor.index, kind="practice",
                                    domain=domain, parties=(j,), detail=practice)


@TRANSFER_RULES.register("none")
@dataclass(frozen=True)
class NoTransfer:
    """Private actors carry no practice."""

    def carry(self, model: DiplomacyModel, actor: PrivateActor) -> None:
        return None


# ----------------------------------------------------------------------------- the process


class PrivateSector:
    """The private actors of one model run, stepped once a month after the proposals.

    It hands the actors this month's signed pair agreements (read from the
    ledger since its last step) and keeps the co-funding table
    ``model.cofunding`` up to date.
    """

    def __init__(self, model: DiplomacyModel):
        self.model = model
        self.actors = model.private_actors
        self.signed_this_month: list[Agreement] = []
        self._seen = len(model.ledger.events)
        model.cofunding = model.rules.cofunding.table(model, self.actors)

    def step(self) -> None:
        m = self.model
        if not self.actors:
            return
        events = m.ledger.events
        self.signed_this_month = [m.agreements[e.agreement_id] for e in events[self._seen:]
                                  if e.event in ("signed", "contested") and e.agreement_id is not None
                                  and len(e.parties) == 2 and e.kind != "declaration"]
        for k in m.stream("private").permutation(len(self.actors)).tolist():
            self.actors[k].step()
        self._seen = len(events)
        m.cofunding = m.rules.cofunding.table(m, self.actors)

    def reporters(self) -> dict[str, Callable]:
        """Each private actor's budget left, and this month's private events (only with private actors)."""
        if not self.actors:
            return {}
        reporters: dict[str, Callable] = {f"private_budget.{p.actor_id}": (lambda m, p=p: p.budget)
                                          for p in self.actors}
        for event in ("lobbied", "campaign", "cofunded", "practice_carried"):
            reporters[event] = lambda m, e=event: m.ledger.tally[e]
        return reporters
