"""DiplomacyModel: city diplomacy as an agent-based model (Mesa 3.5).

One step is one month.  Each step: agreements past their term expire; city
networks recruit; subnational and national governments make proposals
(about capacity/12 each, Poisson); every proposal goes through partner
choice, mutual-consent utility, national oversight of each subnational side
(veto, or contested signature by an assertive actor), and signing; the
DataCollector records the state.  See DESIGN.md §2–§4.

The model takes a validated ``Scenario`` (with its background already added,
see ``model.scenario.with_background``) and a ``RuleSet``; it knows nothing of
configuration files, output files or plots.
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import mesa
import numpy as np

from model import metrics
from model.agents import Actor, CityNetwork, NationalGovernment, SubnationalGovernment
from model.agreements import Agreement, Ledger
from model.events import Timeline
from model.rules import RuleSet
from model.rules.ties import Ties
from model.scenario import DOMAINS, Scenario, capital_location, in_scope

EARTH_RADIUS_KM = 6371.0
MIN_GDP = 1e-6  # billion USD; keeps the economic term finite for actors without a figure


@dataclass
class ActorTable:
    """Numeric state of all actors, one row each (subnationals, then nationals, then networks)."""

    country: np.ndarray       # index into model.countries; -1 for networks
    population: np.ndarray
    gdp: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    autonomy: np.ndarray
    assertiveness: np.ndarray
    capacity: np.ndarray      # new agreements a year
    profile: np.ndarray
    interests: np.ndarray     # (N, domains), weights in [0, 1]
    membership: np.ndarray    # (N, networks), bool
    degree: np.ndarray = field(init=False)
    signed_this_year: np.ndarray = field(init=False)
    by_domain: np.ndarray = field(init=False)  # (N, domains): agreements in force per domain

    def __post_init__(self) -> None:
        n = len(self.country)
        self.degree = np.zeros(n, dtype=np.int64)
        self.signed_this_year = np.zeros(n, dtype=np.int64)
        self.by_domain = np.zeros((n, len(DOMAINS)), dtype=np.int64)
        lat, lon = np.radians(self.lat), np.radians(self.lon)
        self.unit_xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        """Positions on the unit sphere, for chord-based great-circle distances."""


class DiplomacyModel(mesa.Model):
    """City diplomacy: subnational and national governments and city networks signing agreements."""

    def __init__(self, scenario: Scenario, rules: RuleSet | None = None, rng: int | None = None):
        super().__init__(rng=rng)
        self._seed = np.random.SeedSequence(rng)
        self._streams: dict[str, np.random.Generator] = {}
        self.spec = scenario
        self.rules = rules or RuleSet()
        self.ledger = Ledger()
        self.agreements: dict[int, Agreement] = {}
        self.live: dict[int, Agreement] = {}
        """Agreements in force (active or contested), by id."""
        self.salience = np.ones(len(DOMAINS))
        self._expiring: dict[int, list[int]] = defaultdict(list)
        self._ties: Counter = Counter()
        self.partners: defaultdict[int, Counter] = defaultdict(Counter)
        """Pair agreements in force: actor → Counter(partner → agreements in force between the two)."""
        self.pair_domains: set[tuple[int, int, int]] = set()
        """(i, j, domain) with i < j for every pair agreement in force: at most one per pair and domain."""
        self.partner_table = None
        """The partner rule's sampling table for the current step (``rules.partner.prepare``)."""
        self._city_ties: Ties | None = None
        self.active_by_domain: Counter = Counter()
        self.active_by_kind: Counter = Counter()
        self._active_with_subnational = 0
        self._build(scenario)
        for spec in scenario.agreements:
            self._sign_initial(spec)
        # collective dynamics (DESIGN.md §4): each rule starts a process stepped after the proposals
        self.coalitions = self.rules.coalition.start(self)
        self.declarations = self.rules.declarations.start(self)
        self.diffusion = self.rules.diffusion.start(self)
        self.processes = (self.declarations, self.diffusion, self.coalitions)
        self.timeline = Timeline(self, scenario.timeline)
        self.ledger.start_step()  # initial agreements belong to the past, not to step 0's tally
        self.datacollector = metrics.DiplomacyCollector(metrics.model_reporters(self))
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ set-up

    def _build(self, s: Scenario) -> None:
        subs, nats, nets = s.subnationals, s.nationals, s.networks
        self.countries = sorted({x.country for x in subs} | {n.country for n in nats})
        cidx = {c: k for k, c in enumerate(self.countries)}
        missing = sorted({x.country for x in subs} - {n.country for n in nats})
        if missing:
            raise ValueError(f"no national government for countries {missing}: use with_background()")
        bg = s.background
        nat_coords = [self._national_location(n, subs) for n in nats]
        seat_of = {x.id: x for x in subs}
        n_sub, n_nat, n_net = len(subs), len(nats), len(nets)

        def col(sub_values, nat_values, net_value, dtype=float):
            return np.array(list(sub_values) + list(nat_values) + [net_value] * n_net, dtype=dtype)

        population = col((x.population for x in subs), (n.population for n in nats), 0, np.int64)
        gdp = col((x.gdp or x.population * bg.gdp_per_capita / 1e9 for x in subs),
                  (n.gdp or n.population * bg.gdp_per_capita / 1e9 for n in nats), 0.0)
        capacity = col((x.capacity or bg.capacity_per_sqrt_million * np.sqrt(x.population / 1e6)
                        for x in subs), (n.treaties_per_year for n in nats), 0.0)
        interests = np.zeros((n_sub + n_nat + n_net, len(DOMAINS)))
        for row, weights in enumerate([x.interests for x in subs] + [n.agenda for n in nats]):
            for d, w in weights.items():
                interests[row, DOMAINS.index(d)] = w
        self.actors = ActorTable(
            country=col((cidx[x.country] for x in subs), (cidx[n.country] for n in nats), -1, np.int64),
            population=population,
            gdp=np.maximum(gdp, MIN_GDP),
            lat=np.array([x.lat for x in subs] + [c[0] for c in nat_coords]
                         + [seat_of[n.seat].lat for n in nets]),
            lon=np.array([x.lon for x in subs] + [c[1] for c in nat_coords]
                         + [seat_of[n.seat].lon for n in nets]),
            autonomy=col((x.autonomy for x in subs), (1.0 for _ in nats), 0.0),
            assertiveness=col((x.assertiveness for x in subs), (0.0 for _ in nats), 0.0),
            capacity=capacity,
            profile=col((x.profile for x in subs), (n.profile for n in nats), 0.0),
            interests=interests,
            membership=np.zeros((n_sub + n_nat + n_net, n_net), dtype=bool),
        )
        self.subnationals = [SubnationalGovernment(self, x, i) for i, x in enumerate(subs)]
        self.nationals = [NationalGovernment(self, n, n_sub + k) for k, n in enumerate(nats)]
        self.governments = {cidx[g.country]: g for g in self.nationals}
        self.pool = np.arange(n_sub, dtype=np.int64)
        self.nation_rows = np.arange(n_sub, n_sub + n_nat, dtype=np.int64)
        self.relations = np.full((len(self.countries),) * 2, s.default_relation)
        np.fill_diagonal(self.relations, 1.0)
        for r in s.relations:
            if r.a in cidx and r.b in cidx:
                self.relations[cidx[r.a], cidx[r.b]] = self.relations[cidx[r.b], cidx[r.a]] = r.value
        self.networks = [CityNetwork(self, spec, n_sub + n_nat + k, k, self._eligible(spec))
                         for k, spec in enumerate(nets)]
        self.network_members: list[list[int]] = [[] for _ in nets]
        self._by_index: list[Actor] = self.subnationals + self.nationals + self.networks
        self.by_id: dict[str, Actor] = {a.actor_id: a for a in self._by_index}
        for net, spec in zip(self.networks, nets):
            for member in spec.members:
                self.join(self.by_id[member].index, net, record=False)
        for x in subs:
            for m in x.memberships:
                net = self.by_id[m]
                if self.by_id[x.id].index not in net.members:
                    self.join(self.by_id[x.id].index, net, record=False)

    def _national_location(self, n, subs) -> tuple[float, float]:
        if n.lat is not None and n.lon is not None:
            return n.lat, n.lon
        found = capital_location(n.country, n.capital)
        if found is not None:
            return found
        own = [x for x in subs if x.country == n.country]
        return (own[0].lat, own[0].lon) if own else (0.0, 0.0)

    def _eligible(self, spec) -> np.ndarray:
        """Subnationals a network may recruit: inside its scope and of an admitted kind."""
        return np.array([agent.index for agent in self.subnationals
                         if in_scope(spec, agent.country, agent.kind)], dtype=np.int64)

    def _sign_initial(self, spec) -> None:
        parties = tuple(self.by_id[p].index for p in spec.parties)
        ag = self.new_agreement(parties, DOMAINS.index(spec.domain), spec.kind)
        duration = spec.duration or self.rules.expiry.duration(self)
        if spec.signed_step + duration <= 0:
            return  # lapsed before the run starts
        self._sign(ag, "active", signed_step=spec.signed_step, expires=spec.signed_step + duration)
        self.ledger.record(spec.signed_step, "signed", ag, actor=parties[0], detail="initial")

    # ------------------------------------------------------------------ queries used by rules

    def stream(self, name: str) -> np.random.Generator:
        """The random stream of process ``name``, derived from the run's seed and the name alone.

        Each process (partner choice, utility noise, oversight, declarations,
        ...) draws only from its own stream, so switching a process off, or
        changing how much it draws, leaves every other process's draws as they
        were (common random numbers across rule switches).
        """
        stream = self._streams.get(name)
        if stream is None:
            key = np.random.SeedSequence(self._seed.entropy, spawn_key=(zlib.crc32(name.encode()),))
            stream = self._streams[name] = np.random.default_rng(key)
        return stream

    @property
    def month(self) -> int:
        """Months elapsed (0 before the first step)."""
        return self.steps

    def distance_km(self, i: int, js: np.ndarray) -> np.ndarray:
        """Great-circle distance from actor i to each of js: 2R·arcsin(chord / 2) on the unit sphere."""
        xyz = self.actors.unit_xyz
        chord = np.sqrt(((xyz[js] - xyz[i]) ** 2).sum(axis=1))
        return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2, 1.0))

    def common_memberships(self, i: int, js: np.ndarray) -> np.ndarray:
        m = self.actors.membership
        return (m[js] & m[i]).sum(axis=1)

    def memberships_of(self, i: int) -> list[int]:
        return np.flatnonzero(self.actors.membership[i]).tolist()

    def prior_ties(self, i: int, js: np.ndarray) -> np.ndarray:
        """Agreements ever signed between i and each of js."""
        return np.array([self._ties[(min(i, j), max(i, j))] for j in js.tolist()], dtype=float)

    def relation(self, i: int, j: int) -> float:
        c = self.actors.country
        return float(self.relations[c[i], c[j]])

    def government_of(self, i: int) -> NationalGovernment:
        return self.governments[int(self.actors.country[i])]

    def foreign_nations(self, i: int, k: int) -> np.ndarray:
        rows = self.nation_rows[self.stream("partner").integers(0, len(self.nation_rows), k)]
        rows = np.unique(rows)
        return rows[self.actors.country[rows] != self.actors.country[i]]

    def has_room(self, i: int) -> bool:
        """Whether actor i can still sign an agreement this calendar year."""
        return self.actors.signed_this_year[i] < self.actors.capacity[i]

    def draw_domain(self, i: int) -> int:
        """A domain drawn in proportion to i's interests times the domains' current salience."""
        w = self.actors.interests[i] * self.salience
        total = w.sum()
        rng = self.stream("domain")
        if total <= 0:
            return int(rng.integers(len(DOMAINS)))
        return int(np.searchsorted(np.cumsum(w), rng.random() * total, side="right").clip(max=len(DOMAINS) - 1))

    def is_subnational(self, i: int) -> bool:
        return i < len(self.subnationals)

    # ------------------------------------------------------------------ actions

    def offer(self, proposer: int, candidates: np.ndarray, domain: int, kind: str | None) -> Agreement | None:
        """Propose to the best willing candidate; return the agreement, or None if nobody consents.

        Candidates without room this year are skipped.  Among those with
        U_j > 0 the proposer picks the one with the highest U_i > 0.  A
        national proposer deals only with nations it is not hostile to; its
        ``kind`` is decided by the partner (treaty with a nation: bilateral;
        with a subnational: state_relation).
        """
        if len(candidates) == 0:
            return None
        a = self.actors
        candidates = candidates[a.signed_this_year[candidates] < a.capacity[candidates]]
        if not self.is_subnational(proposer) and len(candidates):
            candidates = candidates[self.relations[a.country[proposer], a.country[candidates]] >= 0]
        if len(candidates) == 0:
            return None
        u_i, u_j = self.rules.utility.evaluate(self, proposer, candidates, domain)
        willing = (u_i > 0) & (u_j > 0)
        if not willing.any():
            return None
        partner = int(candidates[willing][np.argmax(u_i[willing])])
        if kind is None:
            kind = "state_relation" if self.is_subnational(partner) else "bilateral"
        return self.negotiate((proposer, partner), domain, kind)

    def negotiate(self, parties: tuple[int, int], domain: int, kind: str) -> Agreement:
        """Oversight of each subnational side, then signing, contesting or dropping."""
        ag = self.new_agreement(parties, domain, kind)
        step = self.month
        self.ledger.record(step, "proposed", ag, actor=parties[0])
        vetoed_by = []
        for side, other in ((parties[0], parties[1]), (parties[1], parties[0])):
            if not self.is_subnational(side):
                continue
            if self.rules.oversight.approves(self, side, other, domain):
                self.ledger.record(step, "approved", ag, actor=self.government_of(side).index,
                                   detail=self.by_index(side).actor_id)
            else:
                vetoed_by.append(side)
                self.ledger.record(step, "vetoed", ag, actor=self.government_of(side).index,
                                   detail=self.by_index(side).actor_id)
        if not vetoed_by:
            self._sign(ag, "active")
            self.ledger.record(step, "signed", ag, actor=parties[0])
        elif all(self.stream("contest").random() < self.actors.assertiveness[s] for s in vetoed_by):
            self._sign(ag, "contested")
            self.ledger.record(step, "contested", ag, actor=vetoed_by[0])
        else:
            ag.status = "vetoed"
        return ag

    def join(self, i: int, network: CityNetwork, record: bool = True) -> None:
        """Actor i becomes a member of ``network``."""
        network.members.add(i)
        self._city_ties = None
        self.network_members[network.column].append(i)
        self.actors.membership[i, network.column] = True
        if record:
            self.ledger.record(self.month, "joined", kind="membership", parties=(i, network.index), actor=i,
                               domain=",".join(DOMAINS[d] for d in network.focus))

    def by_index(self, i: int) -> Actor:
        return self._by_index[i]

    @property
    def coalition_labels(self) -> dict[int, int]:
        """Coalition of each actor under the coalition rule: actor index → label (empty without one)."""
        return self.coalitions.labels

    def new_agreement(self, parties: tuple[int, ...], domain: int, kind: str) -> Agreement:
        ag = Agreement(id=len(self.agreements), parties=parties, domain=DOMAINS[domain], kind=kind,
                       proposed_step=self.month)
        self.agreements[ag.id] = ag
        return ag

    def _sign(self, ag: Agreement, status: str, signed_step: int | None = None,
              expires: int | None = None) -> None:
        a = self.actors
        ag.status = status
        ag.signed_step = self.month if signed_step is None else signed_step
        ag.expires_step = expires if expires is not None else ag.signed_step + self.rules.expiry.duration(self)
        self._expiring[ag.expires_step].append(ag.id)
        d = DOMAINS.index(ag.domain)
        parties = list(ag.parties)
        a.degree[parties] += 1
        a.by_domain[parties, d] += 1
        if signed_step is None:
            a.signed_this_year[parties] += 1
        for x in range(len(parties)):
            for y in range(x + 1, len(parties)):
                self._ties[(min(parties[x], parties[y]), max(parties[x], parties[y]))] += 1
        self._pair_in_force(ag, +1)
        self.count_live(ag, +1)

    def _pair_in_force(self, ag: Agreement, sign: int) -> None:
        """Keep ``partners`` and ``pair_domains`` in step with a pair agreement entering or leaving force."""
        if len(ag.parties) != 2 or ag.kind == "declaration":
            return
        i, j = sorted(ag.parties)
        key = (i, j, DOMAINS.index(ag.domain))
        if sign > 0:
            self.pair_domains.add(key)
        else:
            self.pair_domains.discard(key)
        for a, b in ((i, j), (j, i)):
            self.partners[a][b] += sign
            if self.partners[a][b] <= 0:
                del self.partners[a][b]

    def partners_of(self, i: int) -> np.ndarray:
        """Actors with at least one pair agreement in force with i."""
        return np.fromiter(self.partners[i], dtype=np.int64, count=len(self.partners[i]))

    def in_force_between(self, i: int, js: np.ndarray) -> np.ndarray:
        """Pair agreements in force between i and each of js."""
        mine = self.partners.get(i, {})
        return np.array([mine.get(j, 0) for j in js.tolist()], dtype=float)

    def has_in_force(self, i: int, j: int, domain: int) -> bool:
        """Whether i and j already have an agreement in force in ``domain``."""
        return (min(i, j), max(i, j), domain) in self.pair_domains

    def pair_agreements(self) -> list[Agreement]:
        """Agreements in force between exactly two parties (bilateral, state relations): the graph's edges."""
        return [ag for ag in self.live.values() if len(ag.parties) == 2 and ag.kind != "declaration"]

    def city_ties(self) -> Ties:
        """The subnationals' ties (agreements, co-membership), built once until agreements change."""
        if self._city_ties is None:
            self._city_ties = Ties(self)
        return self._city_ties

    def count_live(self, ag: Agreement, sign: int) -> None:
        self._city_ties = None
        if sign > 0:
            self.live[ag.id] = ag
        else:
            del self.live[ag.id]
        self.active_by_domain[ag.domain] += sign
        self.active_by_kind[ag.kind] += sign
        if any(self.is_subnational(p) for p in ag.parties):
            self._active_with_subnational += sign

    def _expire(self) -> None:
        for aid in self._expiring.pop(self.month, []):
            ag = self.agreements[aid]
            if not ag.live:
                continue
            ag.status = "expired"
            parties = list(ag.parties)
            self.actors.degree[parties] -= 1
            self.actors.by_domain[parties, DOMAINS.index(ag.domain)] -= 1
            self._pair_in_force(ag, -1)
            self.count_live(ag, -1)
            self.ledger.record(self.month, "expired", ag)

    # ------------------------------------------------------------------ step

    def step(self) -> None:
        """One month of city diplomacy."""
        self.ledger.start_step()
        if self.month % 12 == 1:  # a new calendar year of capacity starts with months 1, 13, ...
            self.actors.signed_this_year[:] = 0
        self._expire()
        self.partner_table = self.rules.partner.prepare(self)
        for k in self.stream("networks").permutation(len(self.networks)).tolist():
            self.networks[k].step()
        self._proposals(self.subnationals)
        self._proposals(self.nationals)
        for process in self.processes:
            process.step()
        self.datacollector.collect(self)

    def _proposals(self, agents: list[Actor]) -> None:
        """Each agent makes Poisson(capacity/12) proposals this month, agents in random order."""
        rows = np.fromiter((ag.index for ag in agents), dtype=np.int64, count=len(agents))
        rng = self.stream("proposals")
        counts = rng.poisson(self.actors.capacity[rows] / 12.0)
        active = np.flatnonzero(counts)
        for k in rng.permutation(active).tolist():
            for _ in range(int(counts[k])):
                agents[k].propose()

    @property
    def active_total(self) -> int:
        return sum(self.active_by_kind.values())

    @property
    def subnational_share(self) -> float:
        total = self.active_total
        return self._active_with_subnational / total if total else 0.0
