"""The reader's language (English or French) and the interface's words in both.

The language is chosen, in order, by a ``lang`` query parameter (which is also remembered in a
cookie), the ``lang`` cookie, the ``Accept-Language`` header, and finally English. Templates
call ``_("key")`` for interface words; data labels are picked per language by the code that
reads the graph, with this same language first and a fallback to any other.
"""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask.ctx import _AppCtxGlobals

LANGUAGES = ("en", "fr")
DEFAULT = "en"
COOKIE = "lang"

#: Interface words: key -> {language: text}. Add a key in both languages at once.
MESSAGES: dict[str, dict[str, str]] = {
    "graph.kind": {"en": "Named graph", "fr": "Graphe nommé"},
    "graph.triples": {"en": "triples", "fr": "triplets"},
    "graph.query": {
        "en": "Look inside with a SPARQL query",
        "fr": "Voir le contenu avec une requête SPARQL",
    },
    "map.lede": {
        "en": (
            "Countries where partners are based, and an arc from each mentor's country to its "
            "mentee's."
        ),
        "fr": (
            "Les pays où les partenaires sont établis, et un arc du pays de chaque mentor vers "
            "celui de son mentoré."
        ),
    },
    "map.legend": {"en": "Legend", "fr": "Légende"},
    "map.mentor_country": {"en": "Mentors' country", "fr": "Pays de mentors"},
    "map.mentee_country": {"en": "Mentees' country", "fr": "Pays de mentorés"},
    "map.both_country": {"en": "Both", "fr": "Les deux"},
    "map.arc": {
        "en": "Mentor → mentee (thicker: more partnerships)",
        "fr": "Mentor → mentoré (plus épais : plus de partenariats)",
    },
    "map.desc": {
        "en": (
            "A world map; the countries of mentors and mentees are coloured, and arcs go from "
            "mentor countries to mentee countries. The table below gives the same facts."
        ),
        "fr": (
            "Une carte du monde ; les pays des mentors et des mentorés sont colorés, et des arcs "
            "vont des pays des mentors vers ceux des mentorés. Le tableau ci-dessous donne les "
            "mêmes faits."
        ),
    },
    "map.caption": {
        "en": "Country outlines: Natural Earth (1:110m), via world-atlas.",
        "fr": "Contours des pays : Natural Earth (1:110m), via world-atlas.",
    },
    "map.table": {
        "en": "Partnerships by mentor and mentee country",
        "fr": "Partenariats par pays du mentor et du mentoré",
    },
    "map.from": {"en": "Mentor's country", "fr": "Pays du mentor"},
    "map.to": {"en": "Mentee's country", "fr": "Pays du mentoré"},
    "map.unmapped": {
        "en": "Countries with partners but no outline on this map:",
        "fr": "Pays avec des partenaires mais sans contour sur cette carte :",
    },
    "network.lede": {
        "en": "Each line is a partnership, from the mentor (left) to the mentee (right).",
        "fr": "Chaque ligne est un partenariat, du mentor (à gauche) vers le mentoré (à droite).",
    },
    "network.partial": {
        "en": "Showing {shown} of {total} partnerships: those of the busiest mentors.",
        "fr": "{shown} partenariats affichés sur {total} : ceux des mentors les plus actifs.",
    },
    "network.both": {"en": "Mentor and mentee", "fr": "Mentor et mentoré"},
    "network.mentors": {"en": "Mentors", "fr": "Mentors"},
    "network.mentees": {"en": "Mentees", "fr": "Mentorés"},
    "network.caption": {
        "en": "Circle size grows with the number of partnerships an operator mentors.",
        "fr": (
            "La taille du cercle croît avec le nombre de partenariats que l'opérateur accompagne."
        ),
    },
    "network.list": {"en": "The same, as a list", "fr": "La même chose, en liste"},
    "compare.phases": {"en": "Phases", "fr": "Phases"},
    "compare.pick": {
        "en": "Pick two to {max} partnerships to compare",
        "fr": "Choisissez de deux à {max} partenariats à comparer",
    },
    "compare.go": {"en": "Compare", "fr": "Comparer"},
    "compare.too_few": {
        "en": "The graph holds fewer than two partnerships so far.",
        "fr": "Le graphe contient pour l'instant moins de deux partenariats.",
    },
    "home.title": {
        "en": "Water Operators' Partnerships, as linked data",
        "fr": "Les partenariats entre opérateurs d'eau, en données liées",
    },
    "home.lede": {
        "en": (
            "Browse the cases of Water Operators' Partnerships: who mentors whom, what they set "
            "out to improve, how it went, and where every fact comes from."
        ),
        "fr": (
            "Parcourez les cas de partenariats entre opérateurs d'eau : qui accompagne qui, ce "
            "qu'ils cherchent à améliorer, comment cela s'est passé, et d'où vient chaque fait."
        ),
    },
    "home.partnerships": {"en": "Partnerships", "fr": "Partenariats"},
    "home.all_partnerships": {
        "en": "All partnerships, with filters",
        "fr": "Tous les partenariats, avec filtres",
    },
    "home.compare": {"en": "Compare partnerships", "fr": "Comparer des partenariats"},
    "home.pictures": {"en": "At a glance", "fr": "En un coup d'œil"},
    "home.map": {
        "en": "Partners by country, with mentor → mentee arcs.",
        "fr": "Les partenaires par pays, avec des arcs mentor → mentoré.",
    },
    "home.network": {
        "en": "Who mentors whom, as a network.",
        "fr": "Qui accompagne qui, en réseau.",
    },
    "home.compare_text": {
        "en": "Two or more partnerships side by side.",
        "fr": "Deux partenariats ou plus côte à côte.",
    },
    "home.contents": {"en": "What the graph holds", "fr": "Ce que contient le graphe"},
    "home.model": {"en": "The model behind it:", "fr": "Le modèle sous-jacent :"},
    "list.filters": {"en": "Filters", "fr": "Filtres"},
    "list.clear": {"en": "Clear this filter", "fr": "Retirer ce filtre"},
    "list.pick": {"en": "Pick to compare", "fr": "Choisir pour comparer"},
    "list.name": {"en": "Name", "fr": "Nom"},
    "list.none": {
        "en": "Nothing matches these filters.",
        "fr": "Rien ne correspond à ces filtres.",
    },
    "list.compare": {
        "en": "Compare the partnerships picked",
        "fr": "Comparer les partenariats choisis",
    },
    "facet.country": {"en": "Country", "fr": "Pays"},
    "facet.area": {"en": "Improvement area", "fr": "Domaine d'amélioration"},
    "facet.status": {"en": "Track status", "fr": "Statut des axes"},
    "facet.financing": {"en": "Financing", "fr": "Financement"},
    "facet.facilitation": {"en": "Facilitation", "fr": "Facilitation"},
    "facet.service": {"en": "Service", "fr": "Service"},
    "facet.kind": {"en": "Kind", "fr": "Type"},
    "facet.indicator": {"en": "Indicator", "fr": "Indicateur"},
    "facet.scope": {"en": "Scope", "fr": "Périmètre"},
    "search.title": {"en": "Search", "fr": "Recherche"},
    "search.results": {"en": "results", "fr": "résultats"},
    "search.all_kinds": {"en": "all kinds", "fr": "tous les types"},
    "search.other": {"en": "Other", "fr": "Autres"},
    "search.more": {"en": "More of this kind", "fr": "Plus de ce type"},
    "search.none": {
        "en": "Nothing found. Try fewer or shorter words.",
        "fr": "Rien trouvé. Essayez moins de mots, ou des mots plus courts.",
    },
    "map.title": {"en": "Map of partners", "fr": "Carte des partenaires"},
    "network.title": {"en": "Network of partnerships", "fr": "Réseau des partenariats"},
    "compare.title": {"en": "Compare partnerships", "fr": "Comparer des partenariats"},
    "case.mentor": {"en": "Mentor", "fr": "Mentor"},
    "case.mentee": {"en": "Mentee", "fr": "Mentoré"},
    "case.country": {"en": "Country", "fr": "Pays"},
    "case.services": {"en": "Services", "fr": "Services"},
    "case.figures": {"en": "Key figures", "fr": "Chiffres clés"},
    "case.details": {"en": "details", "fr": "détails"},
    "case.partners": {"en": "Partners", "fr": "Partenaires"},
    "case.how": {"en": "How it works", "fr": "Fonctionnement"},
    "case.timeline": {"en": "Phases and tracks", "fr": "Phases et axes"},
    "case.lessons": {"en": "Lessons", "fr": "Enseignements"},
    "case.quotes": {"en": "What they said", "fr": "Ce qu'ils en disent"},
    "case.all_facts": {"en": "All facts", "fr": "Tous les faits"},
    "case.all_facts_note": {
        "en": (
            "Every fact recorded about the partnership, in the order and under the names of the "
            "model's shapes."
        ),
        "fr": (
            "Tous les faits enregistrés sur le partenariat, dans l'ordre et sous les noms des "
            "formes du modèle."
        ),
    },
    "case.compare_with": {"en": "Compare with others", "fr": "Comparer avec d'autres"},
    "case.origin": {"en": "Origin", "fr": "Origine"},
    "case.financing": {"en": "Financing", "fr": "Financement"},
    "case.for_at_least": {"en": "for at least", "fr": "depuis au moins"},
    "case.funders": {"en": "Funders", "fr": "Bailleurs"},
    "case.facilitation": {"en": "Facilitation", "fr": "Facilitation"},
    "case.formal_agreement": {"en": "Formal agreement", "fr": "Accord formel"},
    "case.agreement": {"en": "Agreement", "fr": "Accord"},
    "case.documented_by": {"en": "Documented by", "fr": "Documenté par"},
    "case.areas": {"en": "Targeted improvement areas", "fr": "Domaines d'amélioration visés"},
    "case.approach": {"en": "Approach", "fr": "Approche"},
    "case.tracks": {"en": "Improvement tracks", "fr": "Axes d'amélioration"},
    "case.other_tracks": {"en": "Tracks outside a phase", "fr": "Axes hors phase"},
    "case.motivations": {"en": "Motivations", "fr": "Motivations"},
    "case.challenges": {"en": "Challenges", "fr": "Difficultés"},
    "case.success_factors": {"en": "Success factors", "fr": "Facteurs de réussite"},
    "nav.main": {"en": "Main", "fr": "Principal"},
    "nav.operators": {"en": "Operators", "fr": "Opérateurs"},
    "nav.map": {"en": "Map", "fr": "Carte"},
    "nav.network": {"en": "Network", "fr": "Réseau"},
    "nav.compare": {"en": "Compare", "fr": "Comparer"},
    "nav.ontology": {"en": "Ontology", "fr": "Ontologie"},
    "search.placeholder": {
        "en": "Search partnerships, operators…",
        "fr": "Chercher partenariats, opérateurs…",
    },
    "search.label": {"en": "Search the graph", "fr": "Chercher dans le graphe"},
    "entity.other": {"en": "Other facts", "fr": "Autres faits"},
    "entity.curation_note": {"en": "Curation note", "fr": "Note de curation"},
    "entity.formats": {"en": "This page as data:", "fr": "Cette page en données :"},
    "entity.confidence": {"en": "Confidence", "fr": "Confiance"},
    "entity.iri": {"en": "Identifier (IRI):", "fr": "Identifiant (IRI) :"},
    "entity.contents": {"en": "On this page", "fr": "Sur cette page"},
    "entity.changed": {"en": "Last changed:", "fr": "Dernière modification :"},
    "entity.changed_by": {"en": "by", "fr": "par"},
    "entity.incoming": {"en": "Linked from", "fr": "Liens vers cette page"},
    "entity.as": {"en": "As", "fr": "Comme"},
    "entity.links_here": {"en": "link here", "fr": "pointent ici"},
    "quote.open": {"en": "“", "fr": "« "},
    "quote.close": {"en": "”", "fr": " »"},
    "pager.label": {"en": "Pages", "fr": "Pages"},
    "pager.previous": {"en": "Previous", "fr": "Précédente"},
    "pager.next": {"en": "Next", "fr": "Suivante"},
    "pager.page": {"en": "Page", "fr": "Page"},
    "notfound.title": {"en": "Not found", "fr": "Introuvable"},
    "notfound.text": {"en": "The graph has nothing about", "fr": "Le graphe ne contient rien sur"},
    "notfound.similar": {"en": "Perhaps you were looking for", "fr": "Vous cherchiez peut-être"},
    "notfound.home": {"en": "Back to the home page", "fr": "Retour à l'accueil"},
    "scheme.kind": {"en": "Concept scheme", "fr": "Vocabulaire contrôlé"},
    "scheme.used_by": {"en": "Values of:", "fr": "Valeurs de :"},
    "scheme.concepts": {"en": "Concepts", "fr": "Concepts"},
    "scheme.concept": {"en": "Concept", "fr": "Concept"},
    "scheme.definition": {"en": "Definition", "fr": "Définition"},
    "scheme.code": {"en": "Code", "fr": "Code"},
    "scheme.matches": {"en": "Matches", "fr": "Correspondances"},
    "scheme.uses": {"en": "Used", "fr": "Utilisations"},
    "constraint.minCount": {"en": "at least", "fr": "au moins"},
    "constraint.maxCount": {"en": "at most", "fr": "au plus"},
    "constraint.class": {"en": "a", "fr": "un(e)"},
    "constraint.scheme": {"en": "a concept of", "fr": "un concept de"},
    "constraint.datatype": {"en": "type", "fr": "type"},
    "constraint.kind.IRI": {"en": "an IRI", "fr": "une IRI"},
    "constraint.kind.Literal": {"en": "a literal", "fr": "un littéral"},
    "constraint.kind.BlankNode": {"en": "a blank node", "fr": "un nœud anonyme"},
    "constraint.kind.BlankNodeOrIRI": {
        "en": "an IRI or blank node",
        "fr": "une IRI ou un nœud anonyme",
    },
    "constraint.languages": {"en": "languages", "fr": "langues"},
    "constraint.uniqueLang": {"en": "one per language", "fr": "un par langue"},
    "constraint.hasValue": {"en": "value", "fr": "valeur"},
    "constraint.recommended": {"en": "recommended", "fr": "recommandé"},
    "term.definition": {"en": "Meaning", "fr": "Signification"},
    "term.iri": {"en": "IRI", "fr": "IRI"},
    "term.parents": {"en": "Broader term", "fr": "Terme plus général"},
    "term.domain": {"en": "Used on", "fr": "S'applique à"},
    "term.range": {"en": "Values", "fr": "Valeurs"},
    "term.count.class": {"en": "Instances in the graph", "fr": "Instances dans le graphe"},
    "term.count.property": {"en": "Statements in the graph", "fr": "Énoncés dans le graphe"},
    "term.in_classes": {"en": "Constrained in", "fr": "Contraintes dans"},
    "term.shape": {
        "en": "Properties (from the SHACL shape)",
        "fr": "Propriétés (de la forme SHACL)",
    },
    "term.property": {"en": "Property", "fr": "Propriété"},
    "term.constraints": {"en": "Constraints", "fr": "Contraintes"},
    "term.classes": {"en": "Classes", "fr": "Classes"},
    "term.properties": {"en": "Properties", "fr": "Propriétés"},
    "term.schemes": {"en": "Concept schemes", "fr": "Vocabulaires contrôlés"},
    "term.reused": {"en": "Reused terms", "fr": "Termes réutilisés"},
    "term.shapes_note": {
        "en": (
            "Each class lists the properties its SHACL shape allows, with their constraints; the "
            "shapes are also served as RDF at /shapes."
        ),
        "fr": (
            "Chaque classe liste les propriétés que sa forme SHACL admet, avec leurs contraintes ;"
            " les formes sont aussi servies en RDF à /shapes."
        ),
    },
    "term.reused_note": {
        "en": (
            "Terms of other vocabularies that the model uses, with their labels in English and "
            "French; their own vocabularies define them."
        ),
        "fr": (
            "Termes d'autres vocabulaires que le modèle utilise, avec leurs libellés en anglais et"
            " en français ; leurs propres vocabulaires les définissent."
        ),
    },
    "site.name": {"en": "wopgraph", "fr": "wopgraph"},
    "site.tagline": {
        "en": "The knowledge graph of Water Operators' Partnerships",
        "fr": "Le graphe de connaissances des partenariats entre opérateurs d'eau",
    },
    "nav.home": {"en": "Home", "fr": "Accueil"},
    "nav.partnerships": {"en": "Partnerships", "fr": "Partenariats"},
    "nav.search": {"en": "Search", "fr": "Recherche"},
    "nav.sparql": {"en": "SPARQL", "fr": "SPARQL"},
    "nav.queries": {"en": "Queries", "fr": "Requêtes"},
    "nav.skip": {"en": "Skip to content", "fr": "Aller au contenu"},
    "nav.language": {"en": "Language", "fr": "Langue"},
    "footer.licence": {
        "en": "Data and ontology under CC BY 4.0.",
        "fr": "Données et ontologie sous licence CC BY 4.0.",
    },
    "footer.dataset": {"en": "Dataset description", "fr": "Description du jeu de données"},
    "sparql.title": {"en": "SPARQL query", "fr": "Requête SPARQL"},
    "sparql.intro": {
        "en": "Ask the knowledge graph of Water Operators' Partnerships anything, in SPARQL. "
        "The endpoint is read-only and open to all, over the",
        "fr": "Interrogez le graphe de connaissances des partenariats entre opérateurs d'eau "
        "en SPARQL. Le point d'accès, en lecture seule et ouvert à tous, suit le",
    },
    "sparql.protocol": {"en": "SPARQL 1.1 Protocol", "fr": "protocole SPARQL 1.1"},
    "sparql.limits": {
        "en": "Queries stop after %s s; answers hold at most %s rows.",
        "fr": "Une requête s'arrête après %s s ; une réponse compte au plus %s lignes.",
    },
    "sparql.service-description": {
        "en": "Service description",
        "fr": "Description du service",
    },
    "sparql.load": {
        "en": "Start from a query of the library",
        "fr": "Partir d'une requête de la bibliothèque",
    },
    "sparql.choose": {"en": "Choose a query…", "fr": "Choisir une requête…"},
    "sparql.query": {"en": "Query", "fr": "Requête"},
    "sparql.editor-label": {"en": "SPARQL query editor", "fr": "Éditeur de requête SPARQL"},
    "sparql.format": {"en": "Results as", "fr": "Résultats en"},
    "sparql.format-any": {"en": "Any query", "fr": "Toute requête"},
    "sparql.format-json": {
        "en": "JSON (SPARQL results or JSON-LD)",
        "fr": "JSON (résultats SPARQL ou JSON-LD)",
    },
    "sparql.format-xml": {
        "en": "XML (SPARQL results or RDF/XML)",
        "fr": "XML (résultats SPARQL ou RDF/XML)",
    },
    "sparql.format-results": {"en": "SELECT and ASK", "fr": "SELECT et ASK"},
    "sparql.format-graphs": {"en": "CONSTRUCT and DESCRIBE", "fr": "CONSTRUCT et DESCRIBE"},
    "sparql.run": {"en": "Run query", "fr": "Lancer la requête"},
    "sparql.shortcut": {
        "en": "Ctrl+Enter runs the query; Ctrl+Space completes prefixes and names.",
        "fr": "Ctrl+Entrée lance la requête ; Ctrl+Espace complète préfixes et noms.",
    },
    "sparql.results": {"en": "Results", "fr": "Résultats"},
    "sparql.results-table": {"en": "Table of results", "fr": "Tableau des résultats"},
    "sparql.running": {"en": "Running the query…", "fr": "Requête en cours…"},
    "sparql.rows": {"en": "rows", "fr": "lignes"},
    "sparql.row": {"en": "row", "fr": "ligne"},
    "sparql.no-rows": {"en": "No results.", "fr": "Aucun résultat."},
    "sparql.truncated": {
        "en": "cut at the endpoint's row limit: use LIMIT and OFFSET to page through",
        "fr": "coupé à la limite de lignes du point d'accès : paginez avec LIMIT et OFFSET",
    },
    "sparql.yes": {"en": "Yes (true)", "fr": "Oui (true)"},
    "sparql.no": {"en": "No (false)", "fr": "Non (false)"},
    "sparql.download": {"en": "Download", "fr": "Télécharger"},
    "sparql.error": {"en": "The query failed", "fr": "La requête a échoué"},
    "sparql.subject": {"en": "subject", "fr": "sujet"},
    "sparql.predicate": {"en": "predicate", "fr": "prédicat"},
    "sparql.object": {"en": "object", "fr": "objet"},
    "sparql.permalink": {"en": "Link to this query", "fr": "Lien vers cette requête"},
    "sparql.library": {"en": "Query library", "fr": "Bibliothèque de requêtes"},
    "sparql.library-intro": {
        "en": "Questions the graph answers, each with its results, stated answer and data.",
        "fr": "Les questions auxquelles le graphe répond, chacune avec ses résultats, la "
        "réponse attendue et les données.",
    },
    "sparql.library-all": {"en": "All canned queries", "fr": "Toutes les requêtes prêtes"},
    "sparql.load-this": {"en": "Load into the editor", "fr": "Charger dans l'éditeur"},
    "sparql.load-short": {"en": "load", "fr": "charger"},
    "sparql.graphs": {"en": "Graphs served", "fr": "Graphes servis"},
    "sparql.graphs-intro": {
        "en": "The default graph is the union of all named graphs (%s triples).",
        "fr": "Le graphe par défaut est l'union de tous les graphes nommés (%s triplets).",
    },
    "sparql.graph": {"en": "named graph", "fr": "graphe nommé"},
    "sparql.triples": {"en": "triples", "fr": "triplets"},
    "queries.title": {"en": "Canned queries", "fr": "Requêtes prêtes"},
    "queries.intro": {
        "en": "The competency questions of the graph, as SPARQL queries with their results. "
        "Their addresses are stable: link to a page, or fetch its results as JSON or CSV.",
        "fr": "Les questions de compétence du graphe, en requêtes SPARQL avec leurs résultats. "
        "Leurs adresses sont stables : liez une page, ou récupérez ses résultats en JSON ou CSV.",
    },
    "queries.parameters": {"en": "Parameters", "fr": "Paramètres"},
    "queries.write-your-own": {
        "en": "Write your own query",
        "fr": "Écrire votre propre requête",
    },
    "queries.breadcrumb": {"en": "Breadcrumb", "fr": "Fil d'Ariane"},
    "queries.answer": {"en": "Stated answer", "fr": "Réponse attendue"},
    "queries.apply": {"en": "Apply", "fr": "Appliquer"},
    "queries.reset": {"en": "Reset", "fr": "Réinitialiser"},
    "queries.as-json": {"en": "Results as JSON", "fr": "Résultats en JSON"},
    "queries.as-csv": {"en": "Results as CSV", "fr": "Résultats en CSV"},
    "queries.open-editor": {
        "en": "Open in the query page",
        "fr": "Ouvrir dans la page de requête",
    },
    "queries.sparql": {"en": "The query", "fr": "La requête"},
    "queries.not-found": {"en": "No such query", "fr": "Requête introuvable"},
    "queries.not-found-text": {
        "en": "The library has no query named “%s”. These are the queries it has:",
        "fr": "La bibliothèque n'a pas de requête nommée « %s ». Voici celles qu'elle a :",
    },
    "void.title": {"en": "Dataset description", "fr": "Description du jeu de données"},
    "void.modified": {"en": "Last modified", "fr": "Dernière modification"},
    "void.size": {"en": "Size", "fr": "Taille"},
    "void.statistics": {"en": "%s triples, %s entities", "fr": "%s triplets, %s entités"},
    "void.endpoint": {"en": "SPARQL endpoint", "fr": "Point d'accès SPARQL"},
    "void.licence": {"en": "Licence", "fr": "Licence"},
    "void.machine": {"en": "This description in", "fr": "Cette description en"},
    "void.downloads": {"en": "Downloads", "fr": "Téléchargements"},
    "void.whole": {"en": "The whole dataset", "fr": "Le jeu de données entier"},
    "void.graph": {"en": "Named graph", "fr": "Graphe nommé"},
    "void.format": {"en": "Format", "fr": "Format"},
    "void.bytes": {"en": "Size (bytes)", "fr": "Taille (octets)"},
}


def choose_language() -> str:
    """The language of the current request (see the module docstring for the order)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def translate(key: str) -> str:
    """The interface text for ``key`` in the request's language (English as fallback)."""
    texts = MESSAGES.get(key)
    if texts is None:
        return key
    return texts.get(getattr(g, "lang", DEFAULT)) or texts[DEFAULT]


def _remember(response: Response) -> Response:
    """Remember a language chosen with ``?lang=``; say that HTML varies with the language."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


class Globals(_AppCtxGlobals):
    """Flask's ``g``, whose ``lang`` is chosen on first use (:func:`choose_language`).

    Only pages read it, so an API answer (a SPARQL result, a dump) never pays for parsing
    ``Accept-Language``: about a tenth of the CPU of a small cached SPARQL answer.
    """

    @property
    def lang(self) -> str:
        """The request's language; setting ``g.lang`` overrides it."""
        if "lang" not in self.__dict__:
            self.__dict__["lang"] = choose_language()
        return self.__dict__["lang"]


def install(app: Flask) -> None:
    """Choose the language when first asked (``g.lang``); give templates ``_`` and ``lang``."""
    app.app_ctx_globals_class = Globals
    app.jinja_env.globals["_"] = translate
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.after_request(_remember)
