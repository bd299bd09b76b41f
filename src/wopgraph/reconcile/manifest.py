"""The service manifests: what the reconciliation service offers, in API 0.2 and the 1.0 draft.

The two versions cannot share one manifest (0.2 describes suggest services as objects with
URLs, the 1.0 draft as booleans), so each version has its own root: ``/reconcile`` answers
as 0.2 (what OpenRefine 3 speaks) and ``/reconcile/1.0-draft`` as the 1.0 draft. Both roots
have the same sub-routes (``/match``, ``/suggest/{entity,type,property}``, ``/preview``,
``/extend``, ``/extend/propose``).

Entity ids are IRIs without ``<base>id/`` (``operator/onee`` for
``https://w3id.org/wop/id/operator/onee``); the view template turns them into this site's
entity pages, which answer IRI ``<base>X`` at path ``/X``.
"""

from __future__ import annotations

from wopgraph import __version__
from wopgraph.reconcile.extend import LIMIT_SETTING
from wopgraph.reconcile.index import ROOT_TYPES, Index

NAME = "wopgraph: Water Operators' Partnerships"
PREVIEW_WIDTH, PREVIEW_HEIGHT = 420, 180
#: Most queries in one batch (larger batches get 413).
BATCH_SIZE = 50
V02, V1 = "0.2", "1.0-draft"


def _default_types(index: Index, lang: str) -> list[dict]:
    """The root types, with their labels in ``lang``."""
    return [{"id": t, "name": index.term(t).label(lang)} for t in ROOT_TYPES]


def manifest_v02(root: str, site: str, index: Index, lang: str) -> dict:
    """The 0.2 manifest of the service at ``root`` (no trailing slash) on the site ``site``."""
    service = {"service_url": root}
    return {
        "versions": ["0.1", V02],
        "name": NAME,
        "identifierSpace": index.id_space,
        "schemaSpace": "https://w3id.org/wop/ontology#",
        "documentation": site,
        "serviceVersion": __version__,
        "view": {"url": site + "id/{{id}}"},
        "defaultTypes": _default_types(index, lang),
        "preview": {
            "url": root + "/preview?id={{id}}",
            "width": PREVIEW_WIDTH,
            "height": PREVIEW_HEIGHT,
        },
        "suggest": {
            "entity": {**service, "service_path": "/suggest/entity"},
            "type": {**service, "service_path": "/suggest/type"},
            "property": {**service, "service_path": "/suggest/property"},
        },
        "extend": {
            "propose_properties": {**service, "service_path": "/extend/propose"},
            "property_settings": [LIMIT_SETTING],
        },
        "batchSize": BATCH_SIZE,
    }


def manifest_v1(site: str, index: Index, lang: str) -> dict:
    """The 1.0-draft manifest; its routes are relative to the root it is served at."""
    setting = {k: v for k, v in LIMIT_SETTING.items() if k not in ("label", "help_text")}
    setting.update(id="limit", name="Limit", helpText=LIMIT_SETTING["help_text"])
    return {
        "versions": [V1],
        "name": NAME,
        "lang": lang,
        "documentation": site,
        "serviceVersion": __version__,
        "view": {"url": site + "id/{+id}"},
        "defaultTypes": _default_types(index, lang),
        "preview": {"width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
        "suggest": {"entity": True, "type": True, "property": True},
        "extend": {"proposeProperties": True, "propertySettings": [setting]},
        "batchSize": BATCH_SIZE,
        "standardizedScore": True,
    }
