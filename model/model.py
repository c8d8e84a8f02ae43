"""DiplomacyModel: city diplomacy as an agent-based model (Mesa 3.5).

One step is one month.  Each step: agreements at term are renewed or lapse,
and those due for review are kept or withdrawn on their merits; city
networks recruit; subnational and national governments get proposal
opportunities (about capacity/12 each, Poisson) and use one only when the
best candidate is worth the proposal's cost; every proposal goes through
partner choice, logit utility with diminishing returns (the partner may
decline), the oversight regime of each subnational side's own government
(veto, or contested signature by an assertive actor), and signing.  Then
the collective processes (declarations, diffusion, coalitions) and the
feedbacks (experience, collective voice, national relations) and the private
actors (firms and lobbies: co-funding, lobbying, carrying practices) move, and the
DataCollector records the state.  Capacity (agreements a year) is a ceiling:
what an actor signs emerges from what it is worth.  See DESIGN.md §2–§4.

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
from model.agents import Actor, CityNetwork, NationalGovernment, PrivateActor, SubnationalGovernment
from model.agreements import Agreement, EdgeList, Ledger
from model.events import Timeline
from model.proposals import make_offer, propose_month, value_offers
from model.rules import RuleSet, government_oversight
from model.rules.partner import padded
from model.rules.private import PrivateSector
from model.rules.ties import Ties
from model.rules.renewal import decide_in_order
from model.rules.utility import accepted_shock
from model.network_events import NetworkEvents
from model.scenario import DOMAINS, Scenario, admitted, capital_location, founding_members

EARTH_RADIUS_KM = 6371.0
MIN_GDP = 1e-6  # billion USD; keeps the economic term finite for actors without a figure
STREAMS = frozenset({"coalitions", "contest", "declarations", "diffusion", "domain", "expiry", "initial", "networks",
                     "oversight", "partner", "private", "proposals", "transfer", "utility"})
"""The processes that draw random numbers, each from its own stream (``DiplomacyModel.stream``)."""


@dataclass
class ActorTable:
    """Numeric state of all actors, one row each (subnationals, then nationals, networks, private actors)."""

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
    standing: np.ndarray = field(init=False)   # visibility earned by agreements kept (experience rule)
    partnered: np.ndarray = field(init=False)  # pair agreements in force (the pairs' lookups skip actors without)
    trusted: np.ndarray = field(init=False)    # in a pair with trust (``PairTrust``)
    neighbours: np.ndarray = field(init=False)  # distinct partners in the agreement graph
    triangles: np.ndarray = field(init=False)   # triangles of the agreement graph through each actor

    def __post_init__(self) -> None:
        n = len(self.country)
        self.standing = np.zeros(n)
        self.degree = np.zeros(n, dtype=np.int64)
        self.signed_this_year = np.zeros(n, dtype=np.int64)
        self.by_domain = np.zeros((n, len(DOMAINS)), dtype=np.int64)
        self.partnered = np.zeros(n, dtype=np.int64)
        self.trusted = np.zeros(n, dtype=bool)
        self.neighbours = np.zeros(n, dtype=np.int64)
        self.triangles = np.zeros(n, dtype=np.int64)
        lat, lon = np.radians(self.lat), np.radians(self.lon)
        self.unit_xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        """Positions on the unit sphere, for chord-based great-circle distances."""


class PairTrust(dict):
    """Trust ∈ [0, 1] of each pair (i, j), i < j, that has kept an agreement (experience rule).

    Setting a pair's trust marks both actors in ``trusted``, so that lookups
    (``DiplomacyModel.trust``) skip the pairs of which an actor has none.
    """

    def __init__(self, trusted: np.ndarray):
        super().__init__()
        self._trusted = trusted

    def __setitem__(self, key: tuple[int, int], value: float) -> None:
        super().__setitem__(key, value)
        self._trusted[list(key)] = True


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
        self._reviews: dict[int, list[int]] = defaultdict(list)
        self.utilisation_log: list[tuple[int, np.ndarray, np.ndarray]] = []
        """(year 1, 2, ..., agreements signed, capacity) per actor for each completed calendar year."""
        self.partners: defaultdict[int, Counter] = defaultdict(Counter)
        """Pair agreements in force: actor → Counter(partner → agreements in force between the two)."""
        self.pair_domains: set[tuple[int, int, int]] = set()
        """(i, j, domain) with i < j for every pair agreement in force: at most one per pair and domain."""
        self.touched: set[int] = set()
        """Actors whose agreements in force or memberships changed since the last collection (metrics)."""
        self.pair_edges = EdgeList()
        """The parties of every pair agreement in force (the agreement graph's edges, for the ties)."""
        self.partner_table = None
        """The partner rule's sampling table for the current step (``rules.partner.prepare``)."""
        self._city_ties: Ties | None = None
        self.cofunding: np.ndarray | None = None
        """(actors, domains): utility private co-funders add to agreements of each home and domain (rules/cofunding)."""
        self.active_by_domain: Counter = Counter()
        self.active_by_kind: Counter = Counter()
        self._active_with_subnational = 0
        self._build(scenario)
        n_countries = len(self.countries)
        self.cross_border = np.zeros((n_countries, n_countries))
        """Agreements in force with a subnational party between each pair of nations (approved)."""
        self.cross_border_contested = np.zeros((n_countries, n_countries))
        self.experience = self.rules.experience.start(self)
        for spec in scenario.agreements:
            self._sign_initial(spec)
        self.office_of: dict[str, Agreement] = {}
        """Offices of representation, open or closed, by the scenario's office id."""
        for spec in scenario.offices:
            if spec.opened_step <= 0:
                self.open_office(spec, spec.opened_step)
        # collective dynamics and feedbacks (DESIGN.md §4): each rule starts a process stepped after the proposals
        self.coalitions = self.rules.coalition.start(self)
        self.declarations = self.rules.declarations.start(self)
        self.diffusion = self.rules.diffusion.start(self)
        self.voice = self.rules.voice.start(self)
        self.relations_dynamics = self.rules.relations.start(self)
        self.private = PrivateSector(self)
        self.processes = (self.experience, self.voice, self.relations_dynamics, self.private,
                          self.declarations, self.diffusion, self.coalitions)
        self.network_events = NetworkEvents(self)  # before the timeline: a network is founded before it convenes
        self.timeline = Timeline(self, scenario.timeline, scenario.offices)
        self.ledger.start_step()  # initial agreements belong to the past, not to step 0's tally
        self.datacollector = metrics.DiplomacyCollector(metrics.model_reporters(self))
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ set-up

    def _build(self, s: Scenario) -> None:
        subs, nats, nets, privs = s.subnationals, s.nationals, s.networks, s.private_actors
        self.countries = sorted({x.country for x in subs} | {n.country for n in nats})
        cidx = self._country_index = {c: k for k, c in enumerate(self.countries)}
        missing = sorted({x.country for x in subs} - {n.country for n in nats})
        if missing:
            raise ValueError(f"no national government for countries {missing}: use with_background()")
        bg = s.background
        nat_coords = [self._national_location(n, subs) for n in nats]
        seat_of = {x.id: x for x in subs}
        row_of = {x.id: i for i, x in enumerate(subs)}
        n_sub, n_nat, n_net, n_priv = len(subs), len(nats), len(nets), len(privs)
        n = n_sub + n_nat + n_net + n_priv

        def col(sub_values, nat_values, net_value, dtype=float):
            """A column: subnationals', nationals', then ``net_value`` for networks and private actors."""
            return np.array(list(sub_values) + list(nat_values) + [net_value] * (n_net + n_priv), dtype=dtype)

        population = col((x.population for x in subs), (n.population for n in nats), 0, np.int64)
        gdp = col((x.gdp or x.population * bg.gdp_per_capita / 1e9 for x in subs),
                  (n.gdp or n.population * bg.gdp_per_capita / 1e9 for n in nats), 0.0)
        capacity = col((x.capacity or bg.capacity_per_sqrt_million * np.sqrt(x.population / 1e6)
                        for x in subs), (n.treaties_per_year for n in nats), 0.0)
        interests = np.zeros((n, len(DOMAINS)))
        for row, weights in enumerate([x.interests for x in subs] + [n.agenda for n in nats]):
            for d, w in weights.items():
                interests[row, DOMAINS.index(d)] = w
        self.actors = ActorTable(
            country=col((cidx[x.country] for x in subs), (cidx[n.country] for n in nats), -1, np.int64),
            population=population,
            gdp=np.maximum(gdp, MIN_GDP),
            lat=np.array([x.lat for x in subs] + [c[0] for c in nat_coords]
                         + [seat_of[n.seat].lat for n in nets] + [seat_of[p.home].lat for p in privs]),
            lon=np.array([x.lon for x in subs] + [c[1] for c in nat_coords]
                         + [seat_of[n.seat].lon for n in nets] + [seat_of[p.home].lon for p in privs]),
            autonomy=col((x.autonomy for x in subs), (1.0 for _ in nats), 0.0),
            assertiveness=col((x.assertiveness for x in subs), (0.0 for _ in nats), 0.0),
            capacity=capacity,
            profile=col((x.profile for x in subs), (n.profile for n in nats), 0.0),
            interests=interests,
            membership=np.zeros((n, n_net), dtype=bool),
        )
        self.pair_trust = PairTrust(self.actors.trusted)
        """Trust ∈ [0, 1] of each pair that has kept an agreement (experience rule)."""
        self.stances = np.zeros(len(self.countries))
        """(countries,): each national government's current stance (``NationalGovernment.stance``)."""
        self.subnationals = [SubnationalGovernment(self, x, i) for i, x in enumerate(subs)]
        self.nationals = [NationalGovernment(self, n, n_sub + k, government_oversight(n, self.rules.oversight))
                          for k, n in enumerate(nats)]
        self.governments = {cidx[g.country]: g for g in self.nationals}
        self.reserved_domains = np.zeros((len(self.countries), len(DOMAINS)), dtype=bool)
        """(countries, domains): the domains each government always vetoes."""
        self.agenda_domains = np.zeros((len(self.countries), len(DOMAINS)), dtype=bool)
        """(countries, domains): the domains on each government's own agenda."""
        self.regimes: list = []
        """The distinct oversight regimes of the governments (each government's ``oversight`` is one)."""
        self.regime_of = np.full(len(self.countries), -1, dtype=np.int64)
        """(countries,): each government's regime, as a position in ``regimes``."""
        for c, government in self.governments.items():
            self.reserved_domains[c, list(government.reserved)] = True
            self.agenda_domains[c, list(government.agenda_domains)] = True
            known = [k for k, regime in enumerate(self.regimes) if regime is government.oversight]
            self.regime_of[c] = known[0] if known else len(self.regimes)
            if not known:
                self.regimes.append(government.oversight)
        self.pool = np.arange(n_sub, dtype=np.int64)
        self.nation_rows = np.arange(n_sub, n_sub + n_nat, dtype=np.int64)
        self.relations = np.full((len(self.countries),) * 2, s.default_relation)
        np.fill_diagonal(self.relations, 1.0)
        for r in s.relations:
            if r.a in cidx and r.b in cidx:
                self.relations[cidx[r.a], cidx[r.b]] = self.relations[cidx[r.b], cidx[r.a]] = r.value
        self._sub_country = np.array([x.country for x in subs], dtype=object)
        self._sub_kind = np.array([x.kind for x in subs], dtype=object)
        self.networks = [CityNetwork(self, spec, n_sub + n_nat + k, k) for k, spec in enumerate(nets)]
        self.network_members: list[list[int]] = [[] for _ in nets]
        first = n_sub + n_nat + n_net
        self.private_actors = [PrivateActor(self, p, first + k, self.subnationals[row_of[p.home]])
                               for k, p in enumerate(privs)]
        self._by_index: list[Actor] = self.subnationals + self.nationals + self.networks + self.private_actors
        self.by_id: dict[str, Actor] = {a.actor_id: a for a in self._by_index}
        self.founders = [[self.by_id[x].index for x in founding_members(spec, subs)] for spec in nets]
        """Rows of each network's founding members (named and seeded), enrolled at its founding."""
        for net in self.networks:
            net.admit()
            if net.founded:
                for i in self.founders[net.column]:
                    self.join(i, net, record=False)

    def _national_location(self, n, subs) -> tuple[float, float]:
        if n.lat is not None and n.lon is not None:
            return n.lat, n.lon
        found = capital_location(n.country, n.capital)
        if found is not None:
            return found
        own = [x for x in subs if x.country == n.country]
        return (own[0].lat, own[0].lon) if own else (0.0, 0.0)

    def admitted_rows(self, scope, kinds, min_population: int) -> np.ndarray:
        """Rows of the subnationals a network's entry rules admit, most populous first (ties by row)."""
        population = self.actors.population[self.pool]
        rows = np.flatnonzero(admitted(scope, kinds, min_population, self._sub_country, self._sub_kind, population))
        return rows[np.argsort(-population[rows], kind="stable")].astype(np.int64)

    def _sign_initial(self, spec) -> None:
        """An agreement the scenario says is in force: in force at step 0, whatever the seed.

        Its end is the file's ``duration`` when given (validated to fall after
        the start), else the rest of a term drawn by the expiry rule given the
        months it has lasted; its sides' shocks are drawn given that both
        accepted it (``accepted_shock``).
        """
        parties = tuple(self.by_id[p].index for p in spec.parties)
        domain = DOMAINS.index(spec.domain)
        ag = self.new_agreement(parties, domain, spec.kind)
        if spec.duration is not None:
            expires = spec.signed_step + spec.duration
        else:
            expires = self.month + self.rules.expiry.remaining(self, self.month - spec.signed_step)
        shocks = (0.0, 0.0)
        if len(parties) == 2:
            v_i, v_j = self.rules.utility.systematic(self, parties[0], self.rows([parties[1]]), domain)
            rng, tau = self.stream("initial"), self.rules.utility.tau
            shocks = (float(accepted_shock(rng, v_i, tau)[0]), float(accepted_shock(rng, v_j, tau)[0]))
        self._sign(ag, "active", signed_step=spec.signed_step, expires=expires, shocks=shocks)
        self.ledger.record(spec.signed_step, "signed", ag, actor=parties[0], detail="initial")

    def open_office(self, spec, step: int) -> None:
        """An office of representation opens: a lasting tie of its holder with the host city.

        It is a tie for the rules that read ties (partner choice, trust,
        diffusion along ties) but not an agreement: it takes no yearly
        capacity, occupies no domain of the pair, counts in no degree, has no
        term and is never reviewed; only ``close_office`` (a timeline event)
        ends it.
        """
        ag = self.new_agreement((self.by_id[spec.holder].index, self.by_id[spec.host].index),
                                DOMAINS.index(spec.domain), "office")
        ag.status, ag.signed_step = "active", step
        self.office_of[spec.id] = ag
        self._pair_in_force(ag, +1)
        self.count_live(ag, +1)
        self.ledger.record(step, "opened", ag, actor=ag.parties[0], detail=spec.id)

    def close_office(self, office_id: str, step: int) -> None:
        ag = self.office_of[office_id]
        if ag.live:
            self._pair_in_force(ag, -1)
            self.count_live(ag, -1)
            ag.status = "closed"
            self.ledger.record(step, "closed", ag, actor=ag.parties[0], detail=office_id)

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
            if name not in STREAMS:
                raise KeyError(f"no random stream named {name!r}: the processes' streams are {sorted(STREAMS)}")
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

    def trust(self, i: int | np.ndarray, js: np.ndarray) -> np.ndarray:
        """Trust ∈ [0, 1] between i (one actor, or one per element of js) and each of js (0 for pairs
        that never kept an agreement)."""
        out = np.zeros(len(js))
        if self.pair_trust:
            i = np.broadcast_to(i, js.shape)
            look = np.flatnonzero(self.actors.trusted[i] & self.actors.trusted[js])
            get = self.pair_trust.get
            out[look] = [get((a, b) if a < b else (b, a), 0.0) for a, b in zip(i[look].tolist(), js[look].tolist())]
        return out

    def visibility(self, rows) -> np.ndarray | float:
        """Profile plus the standing earned by agreements kept, for actor row(s) ``rows``."""
        return self.actors.profile[rows] + self.actors.standing[rows]

    @staticmethod
    def pair_key(parties: tuple[int, ...]) -> tuple[int, int]:
        i, j = parties
        return (i, j) if i < j else (j, i)

    @staticmethod
    def rows(indices: list[int]) -> np.ndarray:
        return np.array(indices, dtype=np.int64)

    @staticmethod
    def domain_index(domain: str) -> int:
        return DOMAINS.index(domain)

    def country_index(self, country: str) -> int:
        return self._country_index[country]

    def relation(self, i: int, j: int) -> float:
        c = self.actors.country
        return float(self.relations[c[i], c[j]])

    def relations_with(self, i: int, js: np.ndarray) -> np.ndarray:
        """Relation between i's nation and the nation of each of js."""
        c = self.actors.country
        return self.relations[c[i], c[js]]

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
        return int(self.draw_domains(np.array([i], dtype=np.int64))[0])

    def draw_domains(self, rows: np.ndarray) -> np.ndarray:
        """One domain for each of actors ``rows`` (repeats allowed), each drawn as ``draw_domain`` draws it."""
        cdf = np.cumsum(self.actors.interests[rows] * self.salience, axis=1)  # interests × salience, cumulated
        rng = self.stream("domain")
        total = cdf[:, -1]
        drawn = np.minimum((cdf <= (rng.random(len(rows)) * total)[:, None]).sum(axis=1), len(DOMAINS) - 1)
        none = total <= 0  # no interest in any domain: uniform
        drawn[none] = rng.integers(len(DOMAINS), size=int(none.sum()))
        return drawn

    def is_subnational(self, i: int) -> bool:
        return i < len(self.subnationals)

    # ------------------------------------------------------------------ actions

    def offer(self, proposer: int, candidates: np.ndarray, domain: int, kind: str | None) -> Agreement | None:
        """Propose to the best candidate if it is worth the proposal's cost; None if no proposal is made.

        Candidates without room this year, and those that already have an
        agreement in force with the proposer in this domain, are skipped.  The
        proposer values each candidate (V + η, the utility rule) times the
        chance that its own government lets it sign (``model.proposals``) and
        proposes to the best when that exceeds ``proposal_cost`` plus its scarcity
        (the shadow price of the capacity it has used this year); the partner
        accepts when its own V + η exceeds its scarcity, else the proposal is
        ``declined``.  A national
        proposer deals only with nations it is not hostile to; its ``kind`` is
        decided by the partner (treaty with a nation: bilateral; with a
        subnational: state_relation).
        """
        row = np.asarray(candidates, dtype=np.int64)[None, :]
        offers = value_offers(self, np.array([proposer], dtype=np.int64), row, np.array([domain], dtype=np.int64))
        proposes, best, accepts = offers.decide(self, np.array([0]))
        return make_offer(self, offers, 0, int(best[0]), bool(accepts[0]), kind) if proposes[0] else None

    def negotiate(self, parties: tuple[int, int], domain: int, kind: str,
                  shocks: tuple[float, float] = (0.0, 0.0), approval: float | None = None) -> Agreement:
        """Oversight of each subnational side by its own government's regime, then signing, contesting or dropping.

        ``approval``: the probability that the proposer's (``parties[0]``)
        government approves, when the proposer has already asked it
        (``model.proposals``); None: the regime is asked now.
        """
        ag = self.new_agreement(parties, domain, kind)
        step = self.month
        self.ledger.record(step, "proposed", ag, actor=parties[0])
        vetoed_by = []
        for side, other, known in ((parties[0], parties[1], approval), (parties[1], parties[0], None)):
            if not self.is_subnational(side):
                continue
            government = self.government_of(side)
            if government.oversight.approves(self, side, other, domain, known):
                self.ledger.record(step, "approved", ag, actor=government.index, detail=self.by_index(side).actor_id)
            else:
                vetoed_by.append(side)
                self.ledger.record(step, "vetoed", ag, actor=government.index, detail=self.by_index(side).actor_id)
        if not vetoed_by:
            self._sign(ag, "active", shocks=shocks)
            self.ledger.record(step, "signed", ag, actor=parties[0], detail=self._utilisation_text(parties))
        elif all(self.stream("contest").random() < self.actors.assertiveness[s] for s in vetoed_by):
            self._sign(ag, "contested", shocks=shocks)
            self.ledger.record(step, "contested", ag, actor=vetoed_by[0], detail=self._utilisation_text(parties))
        else:
            ag.status = "vetoed"
        return ag

    def _utilisation_text(self, parties: tuple[int, ...]) -> str:
        """Each party's agreements signed this year over its yearly capacity, e.g. ``used=3/12,7/50``."""
        rows = list(parties)
        return "used=" + ",".join(f"{signed}/{capacity:g}" for signed, capacity in zip(
            self.actors.signed_this_year[rows].tolist(), self.actors.capacity[rows].tolist()))

    def join(self, i: int, network: CityNetwork, record: bool = True, month: int | None = None,
             detail: str = "") -> None:
        """Actor i becomes a member of ``network`` (ledger event ``joined`` in ``month``, default this one)."""
        network.members.add(i)
        self.touched.add(i)
        self._city_ties = None
        self.network_members[network.column].append(i)
        self.actors.membership[i, network.column] = True
        if record:
            self.ledger.record(self.month if month is None else month, "joined", kind="membership",
                               parties=(i, network.index), actor=i,
                               domain=",".join(DOMAINS[d] for d in network.focus), detail=detail)

    def leave(self, i: int, network: CityNetwork, month: int, detail: str = "") -> None:
        """Actor i stops being a member of ``network`` (ledger event ``left``)."""
        network.members.discard(i)
        self.touched.add(i)
        self._city_ties = None
        self.network_members[network.column].remove(i)
        self.actors.membership[i, network.column] = False
        self.ledger.record(month, "left", kind="membership", parties=(i, network.index), actor=i,
                           domain=",".join(DOMAINS[d] for d in network.focus), detail=detail)

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
              expires: int | None = None, shocks: tuple[float, ...] = (0.0, 0.0)) -> None:
        a = self.actors
        ag.status = status
        ag.shocks = shocks
        ag.signed_step = self.month if signed_step is None else signed_step
        ag.expires_step = expires if expires is not None else ag.signed_step + self.rules.expiry.duration(self)
        self._expiring[ag.expires_step].append(ag.id)
        self._schedule_review(ag)
        d = DOMAINS.index(ag.domain)
        self.touched.update(ag.parties)
        for p in ag.parties:  # element by element: a pair is cheaper so than as an index array
            a.degree[p] += 1
            a.by_domain[p, d] += 1
            if signed_step is None:
                a.signed_this_year[p] += 1
        self._pair_in_force(ag, +1)
        self.count_live(ag, +1)

    def _pair_in_force(self, ag: Agreement, sign: int) -> None:
        """Keep ``partners`` and ``pair_domains`` in step with a pair agreement entering or leaving force."""
        if len(ag.parties) != 2 or ag.kind == "declaration":
            return
        i, j = sorted(ag.parties)
        key = (i, j, DOMAINS.index(ag.domain))
        if ag.kind != "office":  # an office leaves the pair free to sign an agreement in its domain
            (self.pair_domains.add if sign > 0 else self.pair_domains.discard)(key)
        if sign > 0:
            self.pair_edges.add(ag.id, (i, j))
        else:
            self.pair_edges.remove(ag.id)
        tied = j in self.partners[i]
        for a, b in ((i, j), (j, i)):
            self.actors.partnered[a] += sign
            self.partners[a][b] += sign
            if self.partners[a][b] <= 0:
                del self.partners[a][b]
        if tied != (j in self.partners[i]):
            self._tie(i, j, sign)

    def _tie(self, i: int, j: int, sign: int) -> None:
        """The agreement graph gains (+1) or loses (−1) the edge i–j: the neighbours and triangles it moves.

        Each common partner w of i and j closes one triangle i–j–w, counted at
        i, j and w, so the clustering (``metrics.clustering``) reads two arrays
        instead of recounting the triangles of the whole graph every month.
        """
        neighbours, triangles = self.actors.neighbours, self.actors.triangles
        common = self.partners[i].keys() & self.partners[j].keys()
        closed = sign * len(common)
        for end in (i, j):  # element by element: cheaper so than as an index array
            neighbours[end] += sign
            triangles[end] += closed
        for w in common:
            triangles[w] += sign

    def partners_of(self, i: int) -> np.ndarray:
        """Actors with at least one pair agreement in force with i."""
        return np.fromiter(self.partners[i], dtype=np.int64, count=len(self.partners[i]))

    def in_force_between(self, i: int | np.ndarray, js: np.ndarray) -> np.ndarray:
        """Pair agreements in force between i (one actor, or one per element of js) and each of js."""
        if np.ndim(i) == 0:
            mine = self.partners.get(int(i))
            return np.array([mine.get(j, 0) for j in js.tolist()], dtype=float) if mine else np.zeros(len(js))
        i = np.broadcast_to(i, js.shape)
        look = self.both_partnered(i, js)
        out = np.zeros(len(js))
        get, nobody = self.partners.get, {}
        out[look] = [get(a, nobody).get(b, 0) for a, b in zip(i[look].tolist(), js[look].tolist())]
        return out

    def both_partnered(self, i: np.ndarray, js: np.ndarray) -> np.ndarray:
        """Positions of the pairs (i[k], js[k]) whose two actors each have a pair agreement in force: the
        only pairs that can hold one together (the pair lookups read only those)."""
        return np.flatnonzero((self.actors.partnered[i] > 0) & (self.actors.partnered[js] > 0))

    def has_in_force(self, i: int, j: int, domain: int) -> bool:
        """Whether i and j already have an agreement in force in ``domain``."""
        return (min(i, j), max(i, j), domain) in self.pair_domains

    def pair_agreements(self) -> list[Agreement]:
        """Agreements in force between exactly two parties (bilateral, state relations): the graph's edges."""
        return [ag for ag in self.live.values() if len(ag.parties) == 2 and ag.kind != "declaration"]

    def city_ties(self) -> Ties:
        """The subnationals' ties (agreements, co-membership), built once until agreements or memberships change."""
        if self._city_ties is None:
            self._city_ties = Ties(self)
        return self._city_ties

    def count_live(self, ag: Agreement, sign: int) -> None:
        """Count an agreement entering (+1) or leaving (−1) force; call while its status is still live."""
        self._city_ties = None
        if sign > 0:
            self.live[ag.id] = ag
        else:
            del self.live[ag.id]
        self.active_by_domain[ag.domain] += sign
        self.active_by_kind[ag.kind] += sign
        if min(ag.parties) < len(self.subnationals):  # a subnational party (they come first)
            self._active_with_subnational += sign
            if len(ag.parties) == 2 and ag.kind != "declaration":
                i, j = ag.parties
                c, d = int(self.actors.country[i]), int(self.actors.country[j])
                if c != d:
                    matrix = self.cross_border_contested if ag.status == "contested" else self.cross_border
                    matrix[c, d] += sign
                    matrix[d, c] += sign

    def _schedule_review(self, ag: Agreement) -> None:
        if len(ag.parties) == 2:
            review = self.rules.renewal.next_review(ag, max(self.month, ag.signed_step))
            if review is not None:
                self._reviews[review].append(ag.id)

    def _settle_terms(self) -> None:
        """Agreements at term this month, in order: renewed for a new term, or lapsed (renewal rule).

        Their utilities are valued in one batch (``decide_in_order``: the same process)."""
        due = [self.agreements[aid] for aid in self._expiring.pop(self.month, [])]
        due = [ag for ag in due if ag.live and ag.expires_step == self.month]
        shocks = [self.rules.utility.shocks(self, 1) for ag in due if len(ag.parties) == 2]  # drawn as one by one
        decide_in_order(self, due, [(float(i[0]), float(j[0])) for i, j in shocks], self._settle_term)

    def _settle_term(self, ag: Agreement, utilities: tuple[float, float] | None) -> list[tuple[int, int]]:
        """One agreement at term (``utilities`` None: not a pair, it lapses); the (actor, domain) counts it moved."""
        if utilities is None:
            return self._end(ag, "expired")
        self.experience.kept(ag)
        if self.rules.renewal.renews(utilities):
            ag.expires_step = self.month + self.rules.expiry.duration(self)
            self._expiring[ag.expires_step].append(ag.id)
            self._schedule_review(ag)
            self.ledger.record(self.month, "renewed", ag, detail=_utilities_text(utilities))
            return []
        return self._end(ag, "expired", _utilities_text(utilities))

    def _review(self) -> None:
        """Agreements due for review, in order: withdrawn when a side's utility has turned negative (renewal rule).

        Their utilities are valued in one batch (``decide_in_order``: the same process)."""
        due = [self.agreements[aid] for aid in self._reviews.pop(self.month, [])]
        decide_in_order(self, [ag for ag in due if ag.live], None, self._review_one)

    def _review_one(self, ag: Agreement, utilities: tuple[float, float]) -> list[tuple[int, int]]:
        """One review: kept (its next review scheduled) or withdrawn; the (actor, domain) counts it moved."""
        if self.rules.renewal.keeps(utilities):
            self._schedule_review(ag)
            return []
        self.experience.broken(ag)
        return self._end(ag, "withdrawn", _utilities_text(utilities))

    def _end(self, ag: Agreement, status: str, detail: str = "") -> list[tuple[int, int]]:
        """An agreement leaves force (``expired`` or ``withdrawn``); its parties' (actor, domain) counts moved."""
        parties = list(ag.parties)
        d = DOMAINS.index(ag.domain)
        self.touched.update(parties)
        for p in parties:
            self.actors.degree[p] -= 1
            self.actors.by_domain[p, d] -= 1
        self._pair_in_force(ag, -1)
        self.count_live(ag, -1)
        ag.status = status
        self.ledger.record(self.month, status, ag, detail=detail)
        return [(p, d) for p in parties]

    # ------------------------------------------------------------------ step

    def step(self) -> None:
        """One month of city diplomacy."""
        self.ledger.start_step()
        if self.month % 12 == 1:  # a new calendar year of capacity starts with months 1, 13, ...
            self.actors.signed_this_year[:] = 0
        self._settle_terms()
        self._review()
        self.partner_table = self.rules.partner.prepare(self)
        for k in self.stream("networks").permutation(len(self.networks)).tolist():
            self.networks[k].step()
        self._proposals(self.subnationals)
        self._proposals(self.nationals)
        for process in self.processes:
            process.step()
        if self.month % 12 == 0:  # the calendar year's last month
            self.utilisation_log.append((self.month // 12, self.actors.signed_this_year.copy(),
                                         self.actors.capacity.copy()))
        self.datacollector.collect(self)

    def _proposals(self, agents: list[Actor]) -> None:
        """Each agent makes Poisson(capacity/12) proposals this month, agents in random order.

        The month's proposals of a group (subnationals, or national
        governments) are drawn and valued as one batch
        (``model.proposals.propose_month``: the same process, computed at
        once) when the partner rule can draw them at once; otherwise one by
        one (``propose``).
        """
        rows = self.pool if agents is self.subnationals else self.nation_rows
        rng = self.stream("proposals")
        counts = rng.poisson(self.actors.capacity[rows] / 12.0)
        order = rng.permutation(np.flatnonzero(counts))
        proposers = np.repeat(rows[order], counts[order])
        if not len(proposers):
            return
        candidates = self.rules.partner.choose_many(self, proposers)
        if candidates is not None:
            if agents is self.subnationals:
                propose_month(self, proposers, candidates, "bilateral")
            else:  # treaties with foreign nations, or state relations with foreign subnationals
                propose_month(self, proposers, self._with_foreign_nations(proposers, candidates), None)
            return
        for k in order.tolist():
            for _ in range(int(counts[k])):
                agents[k].propose()

    def _with_foreign_nations(self, proposers: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Each national proposal's candidates: foreign nations (``foreign_nations``) and then its subnationals."""
        k = self.rules.partner.candidates
        lists = [np.concatenate([self.foreign_nations(i, k), row[row >= 0]])
                 for i, row in zip(proposers.tolist(), candidates)]
        return padded(lists, max(len(row) for row in lists))

    def utilisation(self) -> float:
        """Agreements signed this calendar year over the capacity for the months elapsed in it (subnationals)."""
        rows = self.pool
        months = (self.month - 1) % 12 + 1 if self.month else 0
        room = self.actors.capacity[rows].sum() * months / 12.0
        return float(self.actors.signed_this_year[rows].sum() / room) if room > 0 else 0.0

    def at_capacity(self) -> int:
        """Subnationals that have signed their whole yearly capacity this year."""
        a, rows = self.actors, self.pool
        return int(((a.signed_this_year[rows] >= a.capacity[rows]) & (a.capacity[rows] > 0)).sum())

    @property
    def active_total(self) -> int:
        return sum(self.active_by_kind.values())

    @property
    def subnational_share(self) -> float:
        total = self.active_total
        return self._active_with_subnational / total if total else 0.0


def _utilities_text(utilities: tuple[float, float]) -> str:
    return "u=" + ",".join(f"{u:.6g}" for u in utilities)
