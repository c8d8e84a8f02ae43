"""The front-end files the app's page loads from Solara's CDN (``make app-assets`` fetches them with npm)."""

from __future__ import annotations

import re
from pathlib import Path

import solara

CDN_REFERENCES = {
    "server/templates/solara.html.j2": r"\{\{cdn\}\}(/[^\"'\s{]+)",  # the page itself
    "widgets/vue/vegalite.vue": r"\$\{this\.getCdn\(\)\}(/[^`'\"\s]+)",  # the charts (Vega-Lite)
}
"""Files of the solara package that load front-end files from the CDN, and the pattern of those paths."""


def frontend_packages() -> list[str]:
    """The npm packages (``name@version``) whose files the app's page loads from Solara's CDN.

    Solara's server fetches them through its CDN proxy and caches them under
    ``<venv>/share/solara/cdn/<name>@<version>/``.  Where the CDN cannot be
    reached (a closed network, a classroom without internet) ``make
    app-assets`` fills that cache from the npm registry, with this list: the
    packages named in ``CDN_REFERENCES``, for the Vue version in use.
    """
    import solara.server.server
    import solara.server.settings

    root = Path(solara.__file__).parent
    paths = [solara.server.settings.assets.fontawesome_path]
    for name, pattern in CDN_REFERENCES.items():
        paths += re.findall(pattern, (root / name).read_text(encoding="utf-8"))
    packages = {m.group(1) for p in paths if (m := re.match(r"/((?:@[^/]+/)?[^/@]+@[^/]+)/", p))}
    other_app = "@widgetti/solara-vuetify-app@" if solara.server.server.vue3 else "@widgetti/solara-vuetify3-app@"
    return sorted(p for p in packages if not p.startswith(other_app))
