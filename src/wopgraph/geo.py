"""Country outlines for the map, from the vendored Natural Earth TopoJSON, as SVG paths.

``web/static/vendor/world-atlas/countries-110m.json`` (npm ``world-atlas``) holds the
outlines as quantised, delta-encoded TopoJSON arcs, each country named by its ISO 3166-1
numeric code; ``vendor/i18n-iso-countries/codes.json`` joins that code to the alpha-2 code
the graph's countries carry (``dcterms:identifier``). :func:`world` decodes them once and
projects them (equirectangular, Antarctica cut) to SVG path data in a ``WIDTH`` x
``HEIGHT`` box, with a label point per country (the centroid of its largest polygon).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "web" / "static" / "vendor"
ATLAS = VENDOR / "world-atlas" / "countries-110m.json"
CODES = VENDOR / "i18n-iso-countries" / "codes.json"
WIDTH = 960.0
NORTH, SOUTH = 84.0, -58.0
SCALE = WIDTH / 360.0
HEIGHT = (NORTH - SOUTH) * SCALE


@dataclass(frozen=True)
class Country:
    """One country's outline: codes, name, SVG path data and label point."""

    alpha2: str
    numeric: str
    name: str
    path: str
    centre: tuple[float, float]


def project(lon: float, lat: float) -> tuple[float, float]:
    """Longitude/latitude to SVG x/y (equirectangular)."""
    return (lon + 180.0) * SCALE, (NORTH - lat) * SCALE


def _decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The arcs as lists of (lon, lat): undo the delta encoding and the quantisation."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(arcs: list, indexes: list[int]) -> list[tuple[float, float]]:
    """A ring from arc indexes (a negative index ``~i`` is arc ``i`` reversed).

    Longitudes are unwrapped: a ring that crosses the antimeridian (eastern Russia, Fiji)
    continues past the map's edge, where the SVG clips it, instead of crossing the map.
    """
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)
    unwrapped: list[tuple[float, float]] = []
    shift = 0.0
    for i, (lon, lat) in enumerate(points):
        if i:
            step = lon - points[i - 1][0]
            shift += -360.0 if step > 180 else 360.0 if step < -180 else 0.0
        unwrapped.append((lon + shift, lat))
    return unwrapped


def _area_centroid(ring: list[tuple[float, float]]) -> tuple[float, tuple[float, float]]:
    """(absolute area, centroid) of a ring of projected points (shoelace formula)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-9:
        xs, ys = zip(*ring, strict=True)
        return 0.0, (sum(xs) / len(xs), sum(ys) / len(ys))
    return abs(area) / 2, (cx / (3 * area), cy / (3 * area))


def _path(polygons: list[list[list[tuple[float, float]]]]) -> str:
    """SVG path data for polygons of projected rings."""
    parts = []
    for rings in polygons:
        for ring in rings:
            if len(ring) > 2:
                parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + "Z")
    return "".join(parts)


@cache
def world() -> dict[str, Country]:
    """Every country with an outline, by alpha-2 code (decoded once per process)."""
    topology = json.loads(ATLAS.read_text(encoding="utf-8"))
    alpha2_of = {numeric: a2 for a2, _, numeric, *_ in json.loads(CODES.read_text("utf-8"))}
    arcs = _decode_arcs(topology)
    countries = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = str(geometry.get("id", ""))
        alpha2 = alpha2_of.get(numeric)
        if not alpha2 or alpha2 == "AQ" or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        shapes = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        polygons = []
        for shape in shapes:
            rings = []
            for indexes in shape:
                ring = [project(lon, lat) for lon, lat in _ring(arcs, indexes)]
                rings.append([(x, min(y, HEIGHT)) for x, y in ring])
            polygons.append(rings)
        outer = [(_area_centroid(rings[0]), rings) for rings in polygons if rings and rings[0]]
        (_, centre), _ = max(outer, key=lambda item: item[0][0])
        name = geometry.get("properties", {}).get("name", alpha2)
        countries[alpha2] = Country(alpha2, numeric, name, _path(polygons), centre)
    return countries


def arc_path(start: tuple[float, float], end: tuple[float, float], bend: float = 0.25) -> str:
    """A curved SVG path from ``start`` to ``end`` (a quadratic curve bent to the left)."""
    (x0, y0), (x1, y1) = start, end
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x1 - x0, y1 - y0
    cx, cy = mx - dy * bend, my + dx * bend
    return f"M{x0:.1f},{y0:.1f}Q{cx:.1f},{cy:.1f} {x1:.1f},{y1:.1f}"
