"""The teaching app: a city-diplomacy run in the browser, for a class (Solara, with Mesa's model).

Run it with ``make app`` (``python -m solara run experiments.app``) and open
http://127.0.0.1:8765.  The page (``Page``, in ``page.py``): on the left,
Step / Play / Reset, months per Step and "run to month N", the class run
(publish this page's run; follow the published one), and every rule and
parameter with its value and a line saying what it does, the changes waiting
for Reset and "Restore defaults"; on the right, the month and date, the world
map (``drawing.py``, SVG drawn at the width shown) with the picked actor's
agreements in bold, what happened this month and one actor's record in
sentences and tables (``story.py``), and four charts.

Like the rest of experiments/, this package is a front end: it turns the
app's parameters into a scenario and rules (``settings.py``) and draws from
the model's state; the model knows nothing of it.

Server settings, for a class on one machine: Solara's "runs on Solara" badge
is off, and a closed page's session (with its model) is released after
``CULL_TIMEOUT`` unless ``SOLARA_KERNEL_CULL_TIMEOUT`` says otherwise
(Solara's default keeps it 24 h).
"""

from __future__ import annotations

import logging
import os
import sys

import solara
import solara.server.settings

from experiments.app.frontend import frontend_packages
from experiments.app.page import Page

CULL_TIMEOUT = "2m"

solara.server.settings.theme.show_banner = False
if not logging.getLogger("experiments.app").handlers:  # the server log says when runs are built and released
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s app: %(message)s"))
    logging.getLogger("experiments.app").addHandler(_handler)
    logging.getLogger("experiments.app").setLevel(logging.INFO)
if "SOLARA_KERNEL_CULL_TIMEOUT" not in {k.upper() for k in os.environ}:
    solara.server.settings.kernel.cull_timeout = CULL_TIMEOUT

routes = [solara.Route(path="/", component=Page, label="City diplomacy")]
"""One page: without it, Solara would make a tab of each module of this package."""

__all__ = ["Page", "frontend_packages", "routes"]
