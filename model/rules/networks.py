"""Network recruitment: who a city network asks each month, and who joins.

DESIGN.md §4.  From its founding, each month a network takes
``recruitment_rate`` candidates among the eligible non-members (its entry
rules: scope, kinds, minimum population; while below its member cap; a
fractional rate gives one more candidate with that probability).  Who the
candidates are is the network's ``admission``:

- ``open`` (the Covenant of Mayors, ICLEI, UCLG, Eurocities): any eligible
  local government may apply; the candidates are drawn uniformly at random
  from the eligible pool, the month's applicants.  The Covenant of Mayors,
  launched by the European Commission in January 2008, is open to every
  democratically constituted local authority in Europe that commits to its
  targets; a municipality signs by a decision of its own council, with no
  selection by the Covenant (its commitment document, 2008).
- ``invitation`` (C40; the Committee of the Regions, whose members national
  governments appoint): the network invites the ``recruitment_rate`` most
  populous eligible non-members, skipping those that declined an invitation
  in the last ``reinvite_months`` months.  C40 was formed in October 2005 by
  London's mayor Ken Livingstone, who invited the representatives of 18
  megacities; its later membership categories admit, on the network's own
  decision, "megacities" (by population, about 3 million or more, or by
  the size of the urban economy) and smaller "innovator cities" (C40's
  membership categories, 2011; Acuto, M. (2013). City leadership in global
  governance. Global Governance 19(3), 481–498).  Largest first is this
  rule's reading of that criterion: a departure, since the real network
  also weighs climate leadership and economy, not population alone.

A candidate i joins when its benefit exceeds the network's fee: its mean
interest in the network's focus domains, raised by the network's size (the
network effect of a larger voice and a larger pool of partners), plus a
Gumbel shock:

    B_i = mean_{d ∈ focus} w_id · (1 + size_effect · log(1 + members / 100)) + ε,  ε ~ Gumbel(0, τ)

Co-membership then raises partner utility (β_net) and feeds the ``network``
partner rule.  Networks as lowering transaction costs and amplifying a
collective voice: Kern, K. & Bulkeley, H. (2009). Cities, Europeanization
and multi-level governance: governing climate change through transnational
municipal networks. JCMS 47(2), 309–332.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from model.rules.registry import Registry
from model.validation import bounds

if TYPE_CHECKING:
    from model.agents import CityNetwork
    from model.model import DiplomacyModel

NETWORK_RULES = Registry("networks")


@NETWORK_RULES.register("recruitment")
@dataclass(frozen=True)
class InterestRecruitment:
    """Candidates by the network's admission (open: at random; invitation: largest first); they join
    when their interest in the focus, raised by the network's size, exceeds the fee."""

    size_effect: float = field(default=0.3, metadata=bounds(0))
    tau: float = field(default=0.1, metadata=bounds(0))
    reinvite_months: int = field(default=12, metadata=bounds(0))
    """Months before a network that invites its members asks again a city that declined."""

    def invitees(self, model: DiplomacyModel, network: CityNetwork) -> np.ndarray:
        """This month's candidates of ``network``: rows of eligible non-members."""
        room = network.member_cap - len(network.members)
        rng = model.stream("networks")
        rate = network.recruitment_rate
        n = math.floor(rate)
        if rate > n and rng.random() < rate - n:
            n += 1
        n = min(n, room)
        if n <= 0 or len(network.eligible) == 0:
            return np.empty(0, dtype=np.int64)
        if network.admission == "invitation":
            return self._largest_first(model, network, n)
        drawn = np.unique(network.eligible[rng.integers(0, len(network.eligible), n)])
        return np.array([i for i in drawn if i not in network.members], dtype=np.int64)

    def _largest_first(self, model: DiplomacyModel, network: CityNetwork, n: int) -> np.ndarray:
        """The n most populous eligible non-members not refused within ``reinvite_months``."""
        chosen: list[int] = []
        since = model.month - self.reinvite_months
        for i in network.eligible.tolist():  # most populous first
            if i in network.members or network.declined.get(i, since - 1) >= since:
                continue
            chosen.append(i)
            if len(chosen) == n:
                break
        return np.array(chosen, dtype=np.int64)

    def accepts(self, model: DiplomacyModel, network: CityNetwork, invitees: np.ndarray) -> np.ndarray:
        focus_interest = model.actors.interests[np.ix_(invitees, network.focus)].mean(axis=1)
        benefit = focus_interest * (1.0 + self.size_effect * np.log1p(len(network.members) / 100.0))
        if self.tau > 0:
            benefit = benefit + model.stream("networks").gumbel(0.0, self.tau, len(invitees))
        return benefit > network.fee
