"""``/reconcile``: the W3C Entity Reconciliation Service API over HTTP, as OpenRefine speaks it.

Two roots, one per API version (see :mod:`wopgraph.reconcile.manifest`):

* ``/reconcile`` (0.2, and 0.1 single queries): ``GET`` without parameters returns the
  manifest; ``queries=`` (``GET`` or form ``POST``) a batch keyed by query id; ``query=`` one
  query; ``extend=`` a data extension. ``callback=`` wraps ``GET`` answers as JSONP.
* ``/reconcile/1.0-draft``: ``GET`` returns the 1.0-draft manifest.

Under both: ``POST /match`` (JSON ``{"queries": [...]}``), ``GET /suggest/entity``,
``/suggest/type``, ``/suggest/property`` (``prefix``, ``type``, ``limit``, ``offset`` or
``cursor``), ``GET /preview?id=``, ``POST /extend`` (JSON) and ``GET /extend/propose?type=``.
Every answer is open to any origin (CORS). The matching lives in :mod:`wopgraph.reconcile`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request

from wopgraph.endpoint import EndpointError
from wopgraph.reconcile import extend as ext
from wopgraph.reconcile import manifest, suggest
from wopgraph.reconcile.index import ROOT_TYPES, Index, IndexCache
from wopgraph.reconcile.service import QueryError, parse_v02, parse_v1, reconcile_all
from wopgraph.web.base_url import site_base
from wopgraph.web.http import text_error

bp = Blueprint("reconcile", __name__)

ROOTS = {"/reconcile": manifest.V02, "/reconcile/1.0-draft": manifest.V1}
METHODS = "GET, HEAD, POST, OPTIONS"
CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")
EXTENSION = "wopgraph.reconcile"


@bp.record_once
def _setup(state) -> None:
    """Give the app its per-process index cache."""
    state.app.extensions[EXTENSION] = IndexCache()


def backend():
    """The app's backend."""
    return current_app.extensions["wopgraph"]


def index() -> Index:
    """The name index of this process, fresh."""
    return current_app.extensions[EXTENSION].get(backend())


def lang() -> str:
    """The reader's language (``en`` or ``fr``)."""
    return getattr(g, "lang", "en")


def root_url(version: str) -> str:
    """The absolute URL of the root of ``version``."""
    path = next(p for p, v in ROOTS.items() if v == version)
    return site_base() + path.lstrip("/")


def answer(data: Any, version: str = manifest.V1) -> Response:
    """A JSON answer; JSONP when a 0.2 ``GET`` asks with ``callback=``."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    callback = request.args.get("callback")
    if callback and version == manifest.V02 and request.method in ("GET", "HEAD"):
        if len(callback) > 200 or not CALLBACK.match(callback):
            raise QueryError("callback must be a JavaScript identifier (a.b_c)")
        response = Response(f"/**/{callback}({body});", content_type="application/javascript")
    else:
        response = Response(body, content_type="application/json")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.vary.add("Accept-Language")
    return response


def _json_param(name: str) -> Any:
    """The request parameter ``name``, parsed as JSON."""
    try:
        return json.loads(request.values[name])
    except ValueError as exc:
        raise QueryError(f"{name} is not valid JSON: {exc}") from exc


def _body() -> Any:
    """The JSON body of the request, or ``None`` if it is not JSON."""
    if not request.is_json:
        return None
    try:
        return json.loads(request.get_data(as_text=True) or "null")
    except ValueError as exc:
        raise QueryError(f"the body is not valid JSON: {exc}") from exc


def _check_batch(size: int) -> None:
    """Refuse batches larger than the manifest's ``batchSize`` (413)."""
    if size > manifest.BATCH_SIZE:
        raise EndpointError(
            413, f"At most {manifest.BATCH_SIZE} queries per batch (the manifest's batchSize)."
        )


def match_v1(batch: Any) -> Response:
    """Answer a 1.0-draft batch ``{"queries": [...]}`` with ``{"results": [...]}``."""
    if not isinstance(batch, dict) or not isinstance(batch.get("queries"), list):
        raise QueryError('a 1.0 reconciliation batch is a JSON object {"queries": [...]}')
    _check_batch(len(batch["queries"]))
    idx = index()
    queries = [parse_v1(q, idx) for q in batch["queries"]]
    results = reconcile_all(idx, backend(), queries, lang())
    return answer({"results": [{"candidates": c} for c in results]})


def service_root(version: str) -> Response:
    """The root of a version: the manifest, or a 0.2 batch, single query or extension."""
    body = _body() if request.method == "POST" else None
    if body is not None:
        return match_v1(body)
    idx = index()
    if "queries" in request.values:
        batch = _json_param("queries")
        if isinstance(batch, list):
            return match_v1({"queries": batch})
        if not isinstance(batch, dict):
            raise QueryError("queries must be a JSON object of queries keyed by id")
        _check_batch(len(batch))
        keys = list(batch)
        results = reconcile_all(idx, backend(), [parse_v02(batch[k], idx) for k in keys], lang())
        return answer({k: {"result": r} for k, r in zip(keys, results, strict=True)}, version)
    if "query" in request.values:
        raw = request.values["query"]
        try:
            parsed = json.loads(raw) if raw.lstrip().startswith("{") else raw
        except ValueError as exc:
            raise QueryError(f"query is not valid JSON: {exc}") from exc
        result = reconcile_all(idx, backend(), [parse_v02(parsed, idx)], lang())[0]
        return answer({"result": result}, version)
    if "extend" in request.values:
        data = ext.extend(idx, backend(), _json_param("extend"), lang(), manifest.V02)
        return answer(data, version)
    if version == manifest.V02:
        return answer(manifest.manifest_v02(root_url(version), site_base(), idx, lang()), version)
    return answer(manifest.manifest_v1(site_base(), idx, lang()), version)


def match(version: str) -> Response:
    """``/match``: a 1.0-draft batch as a JSON body (or a ``queries=`` form field)."""
    body = _body()
    if body is None and "queries" in request.values:
        body = {"queries": _json_param("queries")}
    return match_v1(body)


def _int(name: str) -> int:
    """The whole-number parameter ``name`` (0 when absent)."""
    raw = request.args.get(name) or "0"
    try:
        return int(raw)
    except ValueError as exc:
        raise QueryError(f"{name} must be a whole number, not {raw!r}") from exc


def suggest_items(version: str, kind: str) -> Response:
    """``/suggest/<kind>``: auto-completion of entities, types or properties."""
    prefix = request.args.get("prefix", "")
    offset = _int("offset") or _int("cursor")
    limit = _int("limit")
    if kind == "entity":
        types = request.args.getlist("type")
        items = suggest.entities(index(), prefix, lang(), types, offset, limit)
    elif kind == "type":
        items = suggest.types(index(), prefix, lang(), offset, limit)
    elif kind == "property":
        items = suggest.properties(index(), prefix, lang(), offset, limit)
    else:
        return text_error(404, "Suggest services: entity, type and property.")
    return answer({"result": items}, version)


def preview(version: str) -> Response:
    """``/preview?id=``: a small HTML view of an entity, for an iframe."""
    ref = request.args.get("id", "")
    idx = index()
    entry = idx.lookup(ref) if ref else None
    if entry is None:
        return text_error(404, f"No entity with id {ref!r}.")
    here = lang()
    countries = [idx.by_iri[c].name(here) for c in sorted(entry.countries) if c in idx.by_iri]
    types = [idx.term(t).label(here) for t in ROOT_TYPES if t in entry.types]
    name = entry.name(here)
    other_names = sorted({n.text for n, _, _ in entry.names} - {name})
    html = render_template(
        "reconcile_preview.html",
        entry=entry,
        name=name,
        other_names=other_names,
        types=types,
        countries=countries,
        description=entry.description(here),
        page=site_base() + "id/" + entry.id,
        width=manifest.PREVIEW_WIDTH,
        height=manifest.PREVIEW_HEIGHT,
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    response.vary.add("Accept-Language")
    return response


def extend_data(version: str) -> Response:
    """``/extend``: a 1.0-draft data extension query as a JSON body (or ``extend=``)."""
    query = _body()
    if query is None and "extend" in request.values:
        query = _json_param("extend")
    return answer(ext.extend(index(), backend(), query, lang(), manifest.V1))


def propose(version: str) -> Response:
    """``/extend/propose?type=``: the properties entities of a type have."""
    type_id = request.args.get("type", "")
    if not type_id:
        raise QueryError("give the type to propose properties for: ?type=<type id>")
    return answer(ext.propose(index(), backend(), type_id, lang(), _int("limit")), version)


def preflight() -> Response:
    """A CORS preflight: any origin, JSON bodies."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    response.headers["Allow"] = METHODS
    response.headers["Access-Control-Allow-Methods"] = METHODS
    asked = request.headers.get("Access-Control-Request-Headers")
    response.headers["Access-Control-Allow-Headers"] = asked or "Content-Type"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _guarded(view):
    """Run ``view``, turning refusals into plain-text errors and answering preflights."""

    def run(version: str, **kwargs) -> Response:
        """The guarded view."""
        if request.method == "OPTIONS":
            return preflight()
        try:
            return view(version, **kwargs)
        except QueryError as exc:
            return text_error(400, str(exc))
        except EndpointError as exc:
            return text_error(exc.status, exc.message, exc.headers)

    run.__name__ = view.__name__
    run.__doc__ = view.__doc__
    return run


ROUTES = [
    ("", service_root, ["GET", "POST", "OPTIONS"]),
    ("/", service_root, ["GET", "POST", "OPTIONS"]),
    ("/match", match, ["POST", "OPTIONS"]),
    ("/suggest/<kind>", suggest_items, ["GET", "OPTIONS"]),
    ("/preview", preview, ["GET", "OPTIONS"]),
    ("/extend", extend_data, ["POST", "OPTIONS"]),
    ("/extend/propose", propose, ["GET", "OPTIONS"]),
]
for _root, _version in ROOTS.items():
    for _path, _view, _methods in ROUTES:
        bp.add_url_rule(
            _root + _path,
            endpoint=f"{_view.__name__}{'_slash' if _path == '/' else ''}_{_version[0]}",
            view_func=_guarded(_view),
            methods=_methods,
            defaults={"version": _version},
        )


@bp.after_request
def cors(response: Response) -> Response:
    """Let web clients on any origin read every reconciliation answer."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
