"""The actors of city diplomacy as Mesa agents (DESIGN.md §2).

Agents are real Mesa agents with readable behaviour; their numeric state lives
in the model's column table (``model.actors``, one row per actor) so that the
inner loops stay vectorised at world scale.  Attribute access on an agent reads
its row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from model.scenario import DOMAINS, NationalSpec, NetworkSpec, PrivateSpec, SubnationalSpec

if TYPE_CHECKING:
    from model.model import DiplomacyModel


SPENT = 1e-9
"""A private actor's budget below this (million euros: a thousandth of a euro) is spent."""


def _column(name: str, doc: str) -> property:
    def get(self):
        return self.model.actors.__dict__[name][self.index].item()
    return property(get, doc=doc)


class Actor(mesa.Agent):
    """An actor with a stable string id and a row in the model's actor table."""

    type_name = ""
    model: DiplomacyModel

    def __init__(self, model: DiplomacyModel, actor_id: str, name: str, index: int):
        super().__init__(model)
        self.actor_id = actor_id
        self.name = name
        self.index = index

    population = _column("population", "Inhabitants.")
    gdp = _column("gdp", "Gross product, billion USD.")
    lat = _column("lat", "Latitude, degrees.")
    lon = _column("lon", "Longitude, degrees.")
    profile = _column("profile", "International visibility.")
    degree = _column("degree", "Agreements in force (bilateral and state relations).")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.actor_id!r})"


class SubnationalGovernment(Actor):
    """A city or region with its own foreign relations: São Paulo, the Generalitat, Quebec...

    Each month it makes about capacity/12 proposals (Poisson); a proposal picks
    a domain by its interests, K candidates by the partner rule, and the
    candidate it values most among those who value it back (mutual consent).
    """

    type_name = "subnational"

    def __init__(self, model: DiplomacyModel, spec: SubnationalSpec, index: int):
        super().__init__(model, spec.id, spec.name, index)
        self.kind = spec.kind
        self.country = spec.country

    autonomy = _column("autonomy", "Room its constitution leaves for foreign relations, in [0, 1].")
    assertiveness = _column("assertiveness", "Probability of signing despite a veto, in [0, 1].")
    capacity = _column("capacity", "New agreements it can sign a year.")

    @property
    def memberships(self) -> list[str]:
        return [self.model.networks[m].actor_id for m in self.model.memberships_of(self.index)]

    def propose(self) -> None:
        """Make one proposal, if there is room this year and a willing partner."""
        m = self.model
        if not m.has_room(self.index):
            return
        domain = m.draw_domain(self.index)
        candidates = m.rules.partner.choose(m, self.index)
        m.offer(self.index, candidates, domain, kind="bilateral")


class NationalGovernment(Actor):
    """A national government: overseer of its subnationals and a diplomat itself.

    It approves or vetoes its subnationals' agreements through its own
    oversight regime (China restrictive, Brazil permissive), and signs its own treaties with foreign nations and formal relations
    with foreign subnationals (São Paulo state with the UK and the US).
    """

    type_name = "national"

    def __init__(self, model: DiplomacyModel, spec: NationalSpec, index: int, oversight):
        super().__init__(model, spec.id, spec.name, index)
        self.kind = "national"
        self.country = spec.country
        self.capital = spec.capital
        self.oversight = oversight
        """Its own oversight regime (a rule of ``rules/oversight``)."""
        self.country_row = model.country_index(spec.country)
        self.stance = spec.stance
        self.base_stance = spec.stance
        """Its own disposition, to which collective voice adds (reset by a stance change)."""
        self.reserved = {DOMAINS.index(d) for d in spec.reserved_domains}
        self.agenda_domains = {DOMAINS.index(d) for d, w in spec.agenda.items() if w > 0}
        self.treaties_per_year = spec.treaties_per_year

    @property
    def stance(self) -> float:
        """Current tolerance of paradiplomacy, in [0, 1] (moved by collective voice and events); kept in
        the model's ``stances``, one per country, which the oversight regimes read for many rows at once."""
        return float(self.model.stances[self.country_row])

    @stance.setter
    def stance(self, value: float) -> None:
        self.model.stances[self.country_row] = value

    def propose(self) -> None:
        """Offer a treaty to foreign nations or a state relation to foreign subnationals."""
        m = self.model
        if not m.has_room(self.index):
            return
        domain = m.draw_domain(self.index)
        nations = m.foreign_nations(self.index, m.rules.partner.candidates)
        subnationals = m.rules.partner.choose(m, self.index)
        m.offer(self.index, np.concatenate([nations, subnationals]), domain, kind=None)


class CityNetwork(Actor):
    """A city network: UCLG, ICLEI, Eurocities, the Committee of the Regions, C40, the Covenant of Mayors.

    From its founding (``founded``) each month it takes in members through the
    networks rule, by its admission (open or by invitation) among the
    subnationals its entry rules admit (``eligible``: scope, kinds, minimum
    population; below its cap); members gain utility with each other (β_net).
    Before its founding it has no members and does nothing.
    """

    type_name = "network"

    def __init__(self, model: DiplomacyModel, spec: NetworkSpec, index: int, column: int):
        super().__init__(model, spec.id, spec.name, index)
        self.kind = "network"
        self.country = ""
        self.column = column
        self.focus = np.array([DOMAINS.index(d) for d in spec.focus], dtype=np.int64)
        self.admission = spec.admission
        self.member_kinds = tuple(spec.member_kinds)
        self.min_population = spec.min_population
        self.scope = list(spec.scope)
        self.member_cap = spec.member_cap
        self.fee = spec.fee
        self.recruitment_rate = spec.recruitment_rate
        self.founded_step = spec.founded_step
        self.founded = spec.founded_step <= 0
        self.members: set[int] = set()
        self.declined: dict[int, int] = {}
        """Month of each subnational's last refusal of an invitation (invitation admission)."""
        self.eligible = np.empty(0, dtype=np.int64)
        """Rows of the subnationals its entry rules admit, most populous first (``admit``)."""

    def admit(self) -> None:
        """Recompute ``eligible`` from the current scope, kinds and minimum population."""
        self.eligible = self.model.admitted_rows(self.scope, self.member_kinds, self.min_population)

    def step(self) -> None:
        if not self.founded:
            return
        rule = self.model.rules.networks
        invitees = rule.invitees(self.model, self)
        if len(invitees):
            accepted = rule.accepts(self.model, self, invitees)
            for i in invitees[accepted]:
                if len(self.members) < self.member_cap:
                    self.model.join(int(i), self)
            if self.admission == "invitation":
                for i in invitees[~accepted].tolist():
                    self.declined[i] = self.model.month


class PrivateActor(Actor):
    """A firm or a business lobby doing paradiplomacy from its home city: London First, Cisco.

    Each month its budget receives income/12; then it pays for the
    agreements of its sectors its home signed this month (``rules/cofunding``),
    lobbies its home government and runs its campaigns (``rules/lobbying``)
    and carries its practices to its home's partners (``rules/transfer``).
    It is never a party to an agreement; its row in the actor table sits at
    its home's coordinates.
    """

    type_name = "private"

    def __init__(self, model: DiplomacyModel, spec: PrivateSpec, index: int, home: SubnationalGovernment):
        super().__init__(model, spec.id, spec.name, index)
        self.kind = spec.kind
        self.country = home.country
        self.home = home.index
        self.sectors = np.array([DOMAINS.index(d) for d in spec.sectors], dtype=np.int64)
        self.budget = spec.budget
        """Million euros left."""
        self.income = spec.income
        self.lobbying_spend = spec.lobbying_spend
        self.cofunding_per_agreement = spec.cofunding_per_agreement
        self.practices = list(spec.practices)
        self.campaigns = list(spec.campaigns)
        self.spent = {"lobbying": 0.0, "campaigns": 0.0, "cofunding": 0.0}
        """Million euros spent so far, by activity."""
        self.capacity_added = 0.0
        """Agreements a year its lobbying adds to its home's capacity this month."""

    def pay(self, amount: float, activity: str) -> float:
        """Take up to ``amount`` from the budget for ``activity``; return what was paid."""
        paid = min(amount, self.budget)
        self.budget -= paid
        if self.budget < SPENT:  # rounding dust of repeated payments
            paid, self.budget = paid + self.budget, 0.0
        self.spent[activity] += paid
        return paid

    def step(self) -> None:
        """One month: income, then co-funding this month's agreements, lobbying and carrying practices."""
        m = self.model
        self.budget += self.income / 12.0
        m.rules.cofunding.pay(m, self, m.private.signed_this_month)
        m.rules.lobbying.lobby(m, self)
        m.rules.transfer.carry(m, self)
