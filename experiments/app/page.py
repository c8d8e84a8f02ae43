"""The page: the controls and rules on the left, the run on the right (header, map, this month, one actor, charts).

Each browser tab has its own run (an ``AppModel``), built from the rules
panel's values on Reset.  A page may publish its run to the class
(``CLASS_RUN``); a page that follows the class run shows that run, read-only,
and keeps its own for when it stops following.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from html import escape
from typing import Any

import solara
import solara.widgets

from experiments.app.classrun import CLASS_RUN
from experiments.app.drawing import (
    base_image, coalition_chart, domain_chart, events_chart, map_frame, map_legend, map_svg, map_title, network_chart,
    per_run, per_step,
)
from experiments.app.settings import (
    AppModel, defaults, parameters, pending_changes, run_settings,
)
from experiments.app.story import Table, actor_choices, actor_report, run_date, this_month
from experiments.config import PROJECT_ROOT

EXERCISES = PROJECT_ROOT / "docs" / "teaching.md"
MAX_MONTH = 600  # "run to month" goes at most this far
DEFAULT_MAP_WIDTH = 960  # pixels, until the browser says how wide the map is shown
PLAY_PAUSE_MS = 200  # between months while playing

HOW_IT_WORKS = """
**One Step is one month.** Each month, in this order:

1. Agreements at the end of their term are renewed or lapse; those no longer worth it to one side are withdrawn.
2. City networks recruit members.
3. Each city, region and national government gets a few chances to propose (its yearly capacity ÷ 12).
   A proposer considers **K** foreign candidates, picked by the **partner rule**, and weighs each with
   its **utility**: shared interest in the domain (**β interest**), the partner's economy (**β economy**),
   shared networks (**β network**), minus the cost of distance (**β distance**) and of the proposal.
   It proposes to the best candidate, if worth it; the partner may decline.
4. The national government of each city or region reviews the agreement (**oversight rule**): it approves
   or vetoes. An assertive city may sign despite the veto: a **contested** agreement (dashed on the map).
5. Declarations are signed, practices spread from city to city, and actors regroup into coalitions
   (the actors that would rather be together move to the same side, one at a time).

The same settings and seed always give the same run.
"""

CSS = """
.app-grid { display: grid; grid-template-columns: 300px minmax(0, 1fr); gap: 12px; align-items: start; }
.app-grid.controls-hidden { grid-template-columns: minmax(0, 1fr); }
@media (max-width: 760px) { .app-grid { grid-template-columns: minmax(0, 1fr); } }
.param-caption { font-size: 0.78em; color: #555; margin: -14px 0 6px 0; line-height: 1.25; }
.month-list { margin: 0; padding-left: 1.2em; font-size: 0.92em; }
.actor-table { border-collapse: collapse; font-size: 0.85em; width: 100%; }
.actor-table th, .actor-table td { text-align: left; padding: 2px 8px 2px 0; border-bottom: 1px solid #eee; }
.more { font-size: 0.8em; color: #666; }
.chart { padding: 8px; border-radius: 4px; box-shadow: 0 2px 1px -1px rgba(0,0,0,.2), 0 1px 1px 0 rgba(0,0,0,.14),
         0 1px 3px 0 rgba(0,0,0,.12); background: white; }
.step-counter { font-size: 1.5em; font-weight: bold; white-space: nowrap; }
"""


def _exercises_text() -> str:
    """docs/teaching.md without its screenshots (the page shows the real thing)."""
    text = EXERCISES.read_text(encoding="utf-8")
    return re.sub(r"^!\[.*\]\(.*\)\s*$", "", text, flags=re.MULTILINE)


cached_month = per_step(this_month)
cached_actor_report = per_step(actor_report)
cached_choices = per_run(actor_choices)  # the actors do not change during a run


# ----------------------------------------------------------------------------- controls


@solara.component
def RunControls(playing: solara.Reactive[bool], advance, run_to, reset, months_per_step: solara.Reactive[int],
                disabled: bool):
    """Step, Play and Reset; months per Step (any whole number); run to month N."""
    target = solara.use_reactive(24)
    with solara.Card("Run", margin=0), solara.Column(gap="8px"):
        with solara.Row(gap="6px"):
            solara.Button("Step", color="primary", on_click=lambda: advance(months_per_step.value),
                          disabled=disabled or playing.value)
            solara.Button("❚❚ Pause" if playing.value else "▶ Play", color="primary",
                          on_click=lambda: playing.set(not playing.value), disabled=disabled)
            solara.Button("Reset", color="primary", on_click=reset, disabled=disabled)
        solara.InputInt("Months per Step", value=months_per_step,
                        on_value=lambda n: months_per_step.set(min(max(int(n), 1), MAX_MONTH)))
        with solara.Row(gap="6px", style={"align-items": "center"}):
            solara.InputInt("Month", value=target, on_value=lambda n: target.set(min(max(int(n), 0), MAX_MONTH)))
            solara.Button("Run to month", color="primary", outlined=True,
                          on_click=lambda: run_to(target.value), disabled=disabled or playing.value)
        if disabled:
            solara.Text("Following the class run: its teacher steps it.", style={"font-size": "0.85em"})


@solara.component
def ClassRunControls(me: str, own: AppModel, following: solara.Reactive[bool], class_version: tuple[int, int]):
    """Publish this page's run to the class, or follow the run another page published."""
    published = CLASS_RUN.model()
    with solara.Card("Class run", margin=0), solara.Column(gap="6px"):
        if CLASS_RUN.publisher == me:
            solara.Text("Your run is published: every page that follows the class run shows it.")
            solara.Button("Stop publishing", outlined=True, on_click=lambda: CLASS_RUN.withdraw(me))
        else:
            if published is not None:
                solara.Switch(label="Follow the class run", value=following, classes=["follow-switch"])
            else:
                solara.Text("No class run is published.", style={"font-size": "0.9em"})
            solara.Button("Publish my run to the class", outlined=True,
                          on_click=lambda: (following.set(False), CLASS_RUN.publish(own, me)))


@solara.component
def ParameterControl(name: str, value: Any, on_value):
    """One rule or parameter: its control with the value in the label, and one line saying what it does."""
    p = parameters()[name]
    if p.choices:
        solara.Select(p.label, value=value, values=list(p.choices), on_value=on_value)
    elif p.is_integer:
        solara.SliderInt(f"{p.label}: {value}", value=value, min=int(p.low), max=int(p.high), step=int(p.step),
                         on_value=on_value)
    else:
        solara.SliderFloat(f"{p.label}: {value:g}", value=value, min=p.low, max=p.high, step=p.step,
                           on_value=lambda v: on_value(round(float(v), 3)))
    solara.Text(p.explain(value), classes=["param-caption"])


@solara.component
def RulesPanel(chosen: solara.Reactive[dict], running: dict, disabled: bool):
    """Every rule and parameter with its value, the changes waiting for Reset, and "Restore defaults"."""
    with solara.Card("Rules of the next run", margin=0), solara.Column(gap="2px"):
        for name in parameters():
            ParameterControl(name, chosen.value[name],
                             lambda v, name=name: chosen.set({**chosen.value, name: v}))
        waiting = pending_changes(running, chosen.value)
        if waiting and not disabled:
            solara.Warning("Waiting for Reset: " + "; ".join(waiting), dense=True, classes=["pending-changes"])
        elif not waiting:
            solara.Text("The run on screen uses these settings.", style={"font-size": "0.85em"},
                        classes=["pending-changes"])
        solara.Button("Restore defaults", outlined=True, on_click=lambda: chosen.set(defaults()))


# ----------------------------------------------------------------------------- the run


@solara.component
def RunHeader(model: AppModel, steps: int, following: bool):
    """Where the run is (month and date), its scenario, and the settings of the run on screen."""
    with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"}):
        solara.Text(run_date(model), classes=["step-counter"])
        with solara.Column(gap="2px", classes=["run-header"]):
            prefix = "Class run · " if following else ""
            solara.Text(f"{prefix}{model.spec.name}: {model.spec.description}", style={"font-size": "0.9em"})
            solara.Text("On screen: " + run_settings(model), style={"font-size": "0.9em", "color": "#555"},
                        classes=["run-settings"])


@solara.component
def WorldMap(model: AppModel, steps: int, picked: int | None):
    """The map drawn at the width it is shown, with a switch between colouring by country and by coalition."""
    colour_by = solara.use_reactive("country")
    width = solara.use_reactive(DEFAULT_MAP_WIDTH)
    svg = map_svg(model, width.value, colour_by.value, picked)
    with solara.Card(margin=0):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Text(map_title(model), style={"font-weight": "bold"}, classes=["map-title"])
            ColourSwitch(colour_by)
        MapView(svg=svg, base=base_image(map_frame(model, width.value)), width=width.value, on_width=width.set)
        MapLegend(map_legend(model, colour_by.value))


@solara.component
def ColourSwitch(colour_by: solara.Reactive[str]):
    """Colour actors by country or by coalition (not rendered again at each Step)."""
    with solara.Row(style={"align-items": "center"}):
        solara.Text("colour actors by")
        solara.ToggleButtonsSingle(value=colour_by, values=["country", "coalition"])


@solara.component_vue("world_map.vue")
def MapView(svg: str, base: str, width: int, on_width=None):
    """The map's SVG over its base image (a data URL), and the width shown, sent back as ``width``."""
    pass


@solara.component
def MapLegend(entries: tuple):
    """The legend under the map (one HTML element: cheap to update)."""
    items = "".join(f'<span style="margin-right: 14px; white-space: nowrap">'
                    f'<b style="color: {e.colour}">{e.symbol}</b> '
                    f'{escape(e.label)}</span>' for e in entries)
    solara.HTML(tag="div", unsafe_innerHTML=items, classes=["map-legend"],
                style={"font-size": "0.85em", "line-height": "1.6"})


def html_table(table: Table, newest_first: bool = False, rows: int = 8) -> str:
    """A small HTML table of the first ``rows`` rows (the newest first when asked), and how many are left out."""
    body = table.rows[::-1] if newest_first else table.rows
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    cells = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in body[:rows])
    more = f'<div class="more">… and {len(body) - rows} more</div>' if len(body) > rows else ""
    return f'<table class="actor-table"><tr>{head}</tr>{cells}</table>{more}'


@solara.component
def ThisMonth(model: AppModel, steps: int):
    """What happened in the month just stepped, in sentences."""
    report = cached_month(model)
    with solara.Card(report.heading, margin=0, classes=["this-month"]):
        solara.Text(report.summary, classes=["month-summary"])
        if report.sentences:
            solara.HTML(tag="ul", unsafe_innerHTML="".join(f"<li>{escape(s)}</li>" for s in report.sentences),
                        classes=["month-list"])


@solara.component
def ActorPanel(model: AppModel, steps: int, picked: solara.Reactive[str | None]):
    """One actor, picked from a searchable list (named actors and governments first)."""
    choices = cached_choices(model)
    label = picked.value if picked.value in choices else next(iter(choices))
    with solara.Card("One actor", margin=0), solara.Column(gap="6px"):
        ActorPicker(tuple(choices), label, picked)
        report = cached_actor_report(model, choices[label])
        tally = ", ".join(f"{n} {event}" for event, n in report.tally.items()) or "none yet"
        solara.Text(" · ".join(report.facts), classes=["actor-facts"])
        solara.Text(f"Agreements in force: {len(report.agreements.rows)} (bold on the map)",
                    style={"font-weight": "bold"})
        solara.HTML(tag="div", unsafe_innerHTML=html_table(report.agreements), classes=["actor-agreements"])
        solara.Text(f"Approvals and vetoes: {tally}, the latest first", style={"font-weight": "bold"})
        solara.HTML(tag="div", unsafe_innerHTML=html_table(report.reviews, newest_first=True),
                    classes=["actor-reviews"])


@solara.component
def ActorPicker(labels: tuple[str, ...], label: str, picked: solara.Reactive[str | None]):
    """The searchable list of actors (not rendered again at each Step)."""
    solara.v.Autocomplete(label="Actor (type to search)", items=list(labels), v_model=label,
                          on_v_model=lambda v: picked.set(v) if v else None, auto_select_first=True,
                          class_="actor-picker", hide_details=True)


@solara.component
def Chart(model: AppModel, steps: int, chart_of, empty: str = ""):
    """The Vega-Lite chart ``chart_of(model)``; ``empty`` when it is None."""
    spec = chart_of(model)
    with solara.Div(classes=["chart"]):
        if spec is None:
            solara.Info(empty)
        else:
            solara.widgets.VegaLite.element(spec=spec)


@solara.component
def RunView(model: AppModel, steps: int, following: bool, picked: solara.Reactive[str | None]):
    """Header and map, this month and the actor, then the charts two by two (drawn under the model's lock)."""
    with model.lock:
        choices = cached_choices(model)
        index = choices.get(picked.value, next(iter(choices.values())))
        RunHeader(model, steps, following)
        WorldMap(model, steps, index)
        with solara.Columns([1, 1]):
            ThisMonth(model, steps)
            ActorPanel(model, steps, picked)
        with solara.Columns([1, 1]):
            Chart(model, steps, domain_chart)
            Chart(model, steps, events_chart)
        with solara.Columns([1, 1]):
            Chart(model, steps, network_chart)
            Chart(model, steps, coalition_chart, empty="No coalitions in this run.")


@solara.component
def InfoPanel(shown: solara.Reactive[str | None]):
    """How the model works, or the exercises, when asked for."""
    if shown.value is None:
        return
    title, text = (("How the model works", HOW_IT_WORKS) if shown.value == "how"
                   else ("Exercises (docs/teaching.md)", _exercises_text()))
    with solara.Card(title, margin=0, classes=["info-panel"]):
        solara.Markdown(text)
        solara.Button("Close", outlined=True, on_click=lambda: shown.set(None))


# ----------------------------------------------------------------------------- the page


class Controller:
    """What the buttons do to the page's own run.  Made once per page, so that the controls get the same
    functions at each render and are not rendered again on each Step."""

    def __init__(self, me: str, own: solara.Reactive, own_steps: solara.Reactive, chosen: solara.Reactive,
                 playing: solara.Reactive):
        self.me, self.own, self.own_steps, self.chosen, self.playing = me, own, own_steps, chosen, playing

    def moved(self, model: AppModel) -> None:
        """Show the run's new month; followers of the class run follow when this page publishes it."""
        self.own_steps.set(model.steps)
        if CLASS_RUN.publisher == self.me:
            CLASS_RUN.publish(model, self.me)

    def advance(self, months: int) -> None:
        self.own.value.advance(months)
        self.moved(self.own.value)

    def reset(self) -> None:
        """A new run with the rules panel's values."""
        self.playing.set(False)
        self.own.set(AppModel(**self.chosen.value))
        self.moved(self.own.value)

    def run_to(self, month: int) -> None:
        """Step to month ``month`` in one go; back in time, the same run again from the start (same seed)."""
        model = self.own.value
        if month < model.steps:
            model = AppModel(**model.params)
            self.own.set(model)
        if month > model.steps:
            model.advance(month - model.steps)
        self.moved(model)


@solara.component
def Page():
    """One run per browser tab, or the class run when following it."""
    me = solara.use_memo(lambda: uuid.uuid4().hex, [])
    own = solara.use_reactive(solara.use_memo(AppModel, []))
    own_steps = solara.use_reactive(0)
    chosen = solara.use_reactive(defaults())
    playing = solara.use_reactive(False)
    months_per_step = solara.use_reactive(1)
    following = solara.use_reactive(False)
    class_version = solara.use_reactive((CLASS_RUN.version, CLASS_RUN.publications))
    picked = solara.use_reactive(None)
    controls_open = solara.use_reactive(True)
    info = solara.use_reactive(None)

    control = solara.use_memo(lambda: Controller(me, own, own_steps, chosen, playing), [])

    def play() -> None:
        while playing.value:
            time.sleep(PLAY_PAUSE_MS / 1000)
            if playing.value:
                control.advance(months_per_step.value)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    def watch_class_run(cancel: threading.Event) -> None:
        """Redraw when the class run moves on (following it) or is published or withdrawn (not following)."""
        seen = class_version.value
        while not cancel.is_set():
            now = CLASS_RUN.wait(seen, timeout=0.5, steps=following.value)
            if now != seen:
                seen = now
                class_version.set(now)

    solara.use_thread(watch_class_run, dependencies=[following.value])

    published = CLASS_RUN.model()
    follows = following.value and published is not None and CLASS_RUN.publisher != me
    shown = published if follows else own.value

    solara.Style(CSS)
    with solara.AppBar():
        solara.Button(icon_name="mdi-menu", icon=True, on_click=lambda: controls_open.set(not controls_open.value),
                      classes=["menu-button"], style={"color": "white"})
        solara.AppBarTitle("City diplomacy: teaching app")
        solara.Button("How the model works", text=True, style={"color": "white"},
                      on_click=lambda: info.set(None if info.value == "how" else "how"))
        solara.Button("Exercises", text=True, style={"color": "white"},
                      on_click=lambda: info.set(None if info.value == "exercises" else "exercises"))
    with solara.Div(classes=["app-grid"] + ([] if controls_open.value else ["controls-hidden"])):
        if controls_open.value:
            with solara.Column(gap="10px", classes=["controls"]):
                RunControls(playing, control.advance, control.run_to, control.reset, months_per_step,
                            disabled=follows)
                ClassRunControls(me, own.value, following, class_version.value)
                RulesPanel(chosen, own.value.params, disabled=follows)
        with solara.Column(gap="10px", classes=["run-view"]):
            InfoPanel(info)
            RunView(shown, shown.steps if follows else own_steps.value, follows, picked)
