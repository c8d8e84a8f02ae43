"""Dated events of city networks: their founding and the changes of their scope and legal size.

A network founded during the run (``NetworkSpec.founded_step`` ≥ 1) has no
members and recruits nobody before the start of that month; then it is
founded (ledger event ``founded``, actor the network) and its founding
members join (``joined`` with detail ``founder``): its named members and
those the seeding rule adds up to ``reported_members`` (Eurocities: six
cities in 1986; ICLEI: more than 200 local governments in 1990; C40:
18 cities in October 2005).  A scope change (``NetworkSpec.scope_changes``)
widens or narrows the countries a network admits and sets its legal size
(the European Committee of the Regions: 189 members for 12 states in 1994,
222 with Austria, Finland and Sweden in 1995, 317 in 2004, 344 in 2007, 329
after the United Kingdom left in 2020); members of countries leaving the
scope leave the network (``left``).  A lowered cap removes nobody: the
network takes no one in until it is below the cap again.

Timing as in ``model.events``: an event of month N applies just before the
step of month N and is stamped N.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.events import start_of
from model.scenario import ScopeChangeSpec, continent_of

if TYPE_CHECKING:
    from model.agents import CityNetwork
    from model.model import DiplomacyModel


class NetworkFounding:
    """A network is founded at the start of its month ``founded_step`` and its founders join."""

    def __init__(self, model: DiplomacyModel, network: CityNetwork):
        self.model, self.network = model, network
        model.schedule_event(self.apply, at=start_of(network.founded_step))

    def apply(self) -> None:
        m, net, month = self.model, self.network, self.network.founded_step
        net.founded = True
        m.ledger.record(month, "founded", actor=net.index, kind="event", parties=(net.index,), detail=net.name)
        for i in m.founders[net.column]:
            if i not in net.members and len(net.members) < net.member_cap:
                m.join(i, net, month=month, detail="founder")


class ScopeChange:
    """A network's scope widens (``add``) or narrows (``remove``), and its legal size may change."""

    def __init__(self, model: DiplomacyModel, network: CityNetwork, spec: ScopeChangeSpec):
        self.model, self.network, self.spec = model, network, spec
        model.schedule_event(self.apply, at=start_of(spec.step))

    def apply(self) -> None:
        m, net, spec = self.model, self.network, self.spec
        net.scope = [code for code in net.scope if code not in spec.remove] + \
            [code for code in spec.add if code not in net.scope]
        if spec.member_cap is not None:
            net.member_cap = spec.member_cap
        net.admit()
        m.ledger.record(spec.step, "scope_changed", actor=net.index, kind="event", parties=(net.index,),
                        detail=spec.note or f"add={','.join(spec.add)} remove={','.join(spec.remove)}")
        if spec.remove:
            removed = set(spec.remove)
            for i in sorted(net.members):
                country = m.countries[m.actors.country[i]]
                if country in removed or continent_of(country) in removed:
                    m.leave(i, net, spec.step, detail=spec.note)


class NetworkEvents:
    """Every founding and scope change of a model's networks, scheduled when the model is built.

    Mesa keeps only weak references to scheduled callables: this object holds them.
    """

    def __init__(self, model: DiplomacyModel):
        self.events: list[NetworkFounding | ScopeChange] = []
        for net, spec in zip(model.networks, model.spec.networks):
            if not net.founded:
                self.events.append(NetworkFounding(model, net))
            self.events += [ScopeChange(model, net, change) for change in spec.scope_changes]
