"""Entity reconciliation (W3C Entity Reconciliation Service API, 0.2 and the 1.0 draft).

Partner databases match their records of operators, partnerships, programmes, countries,
people and organisations to wopgraph's entities, as OpenRefine does:

* :mod:`~wopgraph.reconcile.scoring`: how alike two names are (accents, case, acronyms);
* :mod:`~wopgraph.reconcile.index`: the names of every entity, read once per process;
* :mod:`~wopgraph.reconcile.service`: reconciliation queries, candidates and scores;
* :mod:`~wopgraph.reconcile.values`: property values, for conditions and data extension;
* :mod:`~wopgraph.reconcile.extend`: data extension and property proposals;
* :mod:`~wopgraph.reconcile.suggest`: auto-completion of entities, types and properties;
* :mod:`~wopgraph.reconcile.manifest`: the service manifests.

HTTP lives in :mod:`wopgraph.web.reconcile`.
"""
