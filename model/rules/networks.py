"""Network recruitment: city networks invite members; a city joins when its benefit exceeds the fee.

DESIGN.md §4.  Each step a network sends ``recruitment_rate`` invitations to
eligible non-members (inside its scope, of an admitted kind, while below its
member cap).  The invited city's benefit is its mean interest in the
network's focus domains, raised by the network's size (the network effect of
a larger voice and a larger pool of partners), plus a Gumbel shock:

    B_i = mean_{d ∈ focus} w_id · (1 + size_effect · log(1 + members / 100)) + ε,  ε ~ Gumbel(0, τ)

and it joins when B_i > fee.  Co-membership then raises partner utility
(β_net) and feeds the ``network`` partner rule.  Networks as lowering
transaction costs and amplifying a collective voice: Kern, K. & Bulkeley, H.
(2009). Cities, Europeanization and multi-level governance: governing climate
change through transnational municipal networks. JCMS 47(2), 309–332.
"""

from __future__ import annotations

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
    """Invite eligible non-members at random; they join when focus interest exceeds the fee."""

    size_effect: float = field(default=0.3, metadata=bounds(0))
    tau: float = field(default=0.1, metadata=bounds(0))

    def invitees(self, model: DiplomacyModel, network: CityNetwork) -> np.ndarray:
        room = network.member_cap - len(network.members)
        n = min(network.recruitment_rate, room)
        if n <= 0 or len(network.eligible) == 0:
            return np.empty(0, dtype=np.int64)
        drawn = np.unique(network.eligible[model.stream("networks").integers(0, len(network.eligible), n)])
        return np.array([i for i in drawn if i not in network.members], dtype=np.int64)

    def accepts(self, model: DiplomacyModel, network: CityNetwork, invitees: np.ndarray) -> np.ndarray:
        focus_interest = model.actors.interests[np.ix_(invitees, network.focus)].mean(axis=1)
        benefit = focus_interest * (1.0 + self.size_effect * np.log1p(len(network.members) / 100.0))
        if self.tau > 0:
            benefit = benefit + model.stream("networks").gumbel(0.0, self.tau, len(invitees))
        return benefit > network.fee
