"""Every PNG the project draws, from a run's or a sweep's tables (tables → plots, never a model).

- ``common``: colours, atomic saving, the time axis in years, the map base
  (``draw_coastlines_and_borders``: land, coastlines and country borders from
  basemap, offline);
- ``run``: the plots of every run (agreements by domain, signed/vetoed/contested, world map);
- ``story``: the story plots a run draws when it has what they show (coalitions,
  declarations, practices, mega-events, networks, top actors);
- ``sweep``: the plots of a sweep (over time, heatmap, Latin hypercube, Sobol, Morris);
- ``calibration``: a calibration's posterior (marginals, pairs) and its validation (model bands
  against every observed point).
"""

from experiments.plots.common import (DOMAIN_COLOURS, EVENT_COLOURS, OTHER_COLOUR, WORLD_EXTENT,
                                      draw_coastlines_and_borders)
from experiments.plots.run import plot_run
from experiments.plots.story import plot_story
from experiments.plots.sweep import plot_sweep

__all__ = ["DOMAIN_COLOURS", "EVENT_COLOURS", "OTHER_COLOUR", "WORLD_EXTENT", "draw_coastlines_and_borders",
           "plot_run", "plot_story", "plot_sweep"]
