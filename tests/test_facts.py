"""Every fact the ONEE–SIAAP fact sheet states can be found with SPARQL.

One ASK query per fact (or group of facts), written from the fact sheet
(``shared/seeds/000_f9d69326c39cdcdc.txt``), not from the data.
"""

from __future__ import annotations

import pytest

PREFIXES = """
PREFIX op: <https://w3id.org/wop/id/operator/>
PREFIX org_: <https://w3id.org/wop/id/organization/>
PREFIX pt: <https://w3id.org/wop/id/partnership/>
PREFIX country: <https://w3id.org/wop/id/country/>
PREFIX area: <https://w3id.org/wop/vocab/improvement-area/>
PREFIX status: <https://w3id.org/wop/vocab/track-status/>
PREFIX role: <https://w3id.org/wop/vocab/partner-role/>
PREFIX ind: <https://w3id.org/wop/vocab/indicator/>
PREFIX conf: <https://w3id.org/wop/vocab/confidence/>
PREFIX mot: <https://w3id.org/wop/vocab/motivation/>
PREFIX ck: <https://w3id.org/wop/vocab/challenge-kind/>
PREFIX sk: <https://w3id.org/wop/vocab/success-factor-kind/>
PREFIX svc: <https://w3id.org/wop/vocab/service/>
PREFIX fin: <https://w3id.org/wop/vocab/financing-model/>
PREFIX fac: <https://w3id.org/wop/vocab/facilitation-mode/>
PREFIX origin: <https://w3id.org/wop/vocab/partnership-origin/>
PREFIX doc: <https://w3id.org/wop/id/document/>
"""

SHEET = "doc:bewop-onee-siaap-factsheet"

FACTS: list[tuple[str, str]] = [
    (
        "SIAAP (France) is the mentor and ONEE (Morocco) the mentee",
        """
        ?p a wop:Partnership ; wop:mentor op:siaap ; wop:mentee op:onee .
        op:siaap a wop:Operator ; wop:country country:france .
        op:onee a wop:Operator ; wop:country country:morocco .""",
    ),
    (
        "the roles are also memberships with org roles",
        """
        ?p wop:hasMembership ?m1, ?m2 .
        ?m1 org:member op:siaap ; org:role role:mentor .
        ?m2 org:member op:onee ; org:role role:mentee .""",
    ),
    (
        "ONEE's printed and official names are both kept, the official one preferred",
        """
        op:onee skos:prefLabel "Office National de l'Électricité et de l'Eau Potable"@fr ;
                wop:nameAsPrinted ?printed ; rdfs:label "ONEE" .
        FILTER (STR(?printed) = "Office Nationale de l'Eau Potable et de l'Électricité")""",
    ),
    (
        "SIAAP's full name",
        """
        op:siaap skos:prefLabel ?n .
        FILTER (STR(?n) = CONCAT("Syndicat Interdépartemental pour l'Assainissement ",
                                 "de l'Agglomération Parisienne"))""",
    ),
    (
        "the operators' descriptions",
        """
        op:onee dcterms:description ?a . op:siaap dcterms:description ?b .
        FILTER (STR(?a) = "National water, sanitation and electricity public utility, Morocco")
        FILTER (STR(?b) = "Sanitation utility of greater Paris, France")""",
    ),
    (
        "countries link to Wikidata and GeoNames",
        """
        country:morocco skos:exactMatch <http://www.wikidata.org/entity/Q1028>,
                                        <https://sws.geonames.org/2542007/> .
        country:france skos:exactMatch <http://www.wikidata.org/entity/Q142>,
                                       <https://sws.geonames.org/3017382/> .
        country:netherlands skos:exactMatch <http://www.wikidata.org/entity/Q55>,
                                            <https://sws.geonames.org/2750405/> .""",
    ),
    (
        "9 million sanitation service users (one figure, attributed by interpretation)",
        """
        ?f sosa:observedProperty ind:sanitation-service-users ; sosa:hasFeatureOfInterest ?op ;
           sosa:hasResult [ qudt:numericValue ?v ; qudt:unit unit:NUM ] ;
           wop:confidence ?c ; wop:curationNote ?n ; prov:wasDerivedFrom """
        + SHEET
        + """ .
        FILTER (?c != conf:stated && ?v = 9000000)""",
    ),
    (
        "treatment capacities 211,000 and 2,500,000 m3/day with interpretation notes",
        """
        ?a sosa:observedProperty ind:wastewater-treatment-capacity ;
           sosa:hasFeatureOfInterest op:onee ;
           sosa:hasResult [ qudt:numericValue ?x ; qudt:unit unit:M3-PER-DAY ] ;
           wop:printedAs "211,000 M3/" .
        ?b sosa:observedProperty ind:wastewater-treatment-capacity ;
           sosa:hasFeatureOfInterest op:siaap ;
           sosa:hasResult [ qudt:numericValue ?y ; qudt:unit unit:M3-PER-DAY ] ;
           wop:printedAs "2.500,000 M3/" ; wop:curationNote ?note .
        FILTER (?x = 211000 && ?y = 2500000)""",
    ),
    (
        "employees: 7600 (water and sanitation) and 1700 (sanitation)",
        """
        ?a sosa:observedProperty ind:employees ; sosa:hasFeatureOfInterest op:onee ;
           sosa:hasResult [ qudt:numericValue ?x ] ; wop:scope svc:water-and-sanitation .
        ?b sosa:observedProperty ind:employees ; sosa:hasFeatureOfInterest op:siaap ;
           sosa:hasResult [ qudt:numericValue ?y ] ; wop:scope svc:sanitation .
        FILTER (?x = 7600 && ?y = 1700)""",
    ),
    (
        "seven motivations, each held by a partner with a confidence",
        """
        { SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {
            ?p wop:hasMotivation ?m . ?m wop:heldBy ?who ; wop:confidence ?c ;
               wop:motivationKind ?k . } }
        FILTER (?n = 7)""",
    ),
    (
        "the motivation typo is kept as printed and corrected in the label",
        """
        ?m wop:printedAs "Excercise social responsibility" ; rdfs:label ?l .
        FILTER (STR(?l) = "Exercise social responsibility")""",
    ),
    (
        "the WOP arose from a personal acquaintance between managers",
        """
        ?p wop:origin origin:personal-acquaintance ; wop:originNote ?n .
        FILTER CONTAINS(STR(?n), "personal acquaintance between managers")""",
    ),
    (
        "self-financed for over 12 years, no funder, self-facilitated, formal agreement",
        """
        ?p wop:financingModel fin:self-financed ; wop:selfFinancedFor "P12Y"^^xsd:duration ;
           wop:facilitationMode fac:self-facilitated ; wop:hasFormalAgreement true .
        FILTER NOT EXISTS { ?p wop:funder ?f }
        FILTER NOT EXISTS { ?p wop:facilitator ?f }""",
    ),
    (
        "three targeted improvement areas",
        """
        ?p wop:targetsArea area:wastewater-treatment, area:hygiene-and-safety,
                           area:water-quality-control .""",
    ),
    (
        "the approach, with the OCR typo corrected",
        """
        ?p wop:approach ?a .
        FILTER (CONTAINS(STR(?a), "strengthening technical and organizational capacity"))
        FILTER (CONTAINS(STR(?a), "progresses at its own pace"))""",
    ),
    (
        "two phases, the first before the second",
        """
        ?p wop:hasPhase ?one, ?two . ?one wop:phaseNumber 1 ; time:intervalBefore ?two .
        ?two wop:phaseNumber 2 .""",
    ),
    (
        "eight tracks: one in phase 1, seven in phase 2",
        """
        { SELECT (COUNT(?t) AS ?all) (SUM(IF(?n = 1, 1, 0)) AS ?first)
                 (SUM(IF(?n = 2, 1, 0)) AS ?second) WHERE {
            ?p wop:hasTrack ?t . ?t wop:inPhase/wop:phaseNumber ?n } }
        FILTER (?all = 8 && ?first = 1 && ?second = 7)""",
    ),
    (
        "the phase-one track is the transition to sanitation, with a curation note",
        """
        ?t rdfs:label "Technical support for transition to sanitation"@en ;
           wop:inPhase/wop:phaseNumber 1 ; wop:curationNote ?n .""",
    ),
    (
        "three implemented tracks and five yet to be implemented",
        """
        { SELECT (SUM(IF(?s = status:implemented, 1, 0)) AS ?done)
                 (SUM(IF(?s = status:planned, 1, 0)) AS ?todo) WHERE {
            ?p wop:hasTrack ?t . ?t wop:trackStatus ?s } }
        FILTER (?done = 3 && ?todo = 5)""",
    ),
    (
        "70 ONEE technicians, engineers and managers trained",
        """
        ?r wop:indicator ind:staff-trained ;
           wop:quantity [ qudt:numericValue ?n ; qudt:unit unit:NUM ] .
        ?t wop:hasResult ?r .
        FILTER (?n = 70)""",
    ),
    (
        "the hygiene and safety and water quality results",
        """
        ?a dcterms:description ?x . ?b dcterms:description ?y .
        FILTER STRSTARTS(STR(?x), "Recommendations made for a regional re-organisation")
        FILTER STRSTARTS(STR(?y), "Transfer of expertise and skills to regional laboratories")""",
    ),
    (
        "three challenges with kinds",
        """
        ?p wop:facedChallenge ?a, ?b, ?c .
        ?a wop:challengeKind ck:expert-availability .
        ?b wop:challengeKind ck:cultural-differences .
        ?c wop:challengeKind ck:schedule-discipline .""",
    ),
    (
        "four success factors with kinds",
        """
        ?p wop:hasSuccessFactor ?a, ?b, ?c, ?d .
        ?a wop:successFactorKind sk:trust . ?b wop:successFactorKind sk:solidarity .
        ?c wop:successFactorKind sk:partner-maturity .
        ?d wop:successFactorKind sk:clear-framework .""",
    ),
    (
        "four verbatim quotations with speaker, title and organisation",
        """
        { SELECT (COUNT(DISTINCT ?q) AS ?n) WHERE {
            ?q a schema:Quotation ; schema:text ?t ; schema:creator ?who ;
               wop:speakerTitle ?title ; wop:speakerOrganization ?org .
            ?who schema:name ?name } }
        FILTER (?n = 4)""",
    ),
    (
        "Hilali's quotation is kept as printed, ellipsis included",
        """
        ?q schema:text ?t ; schema:creator/schema:name "Jawad Hilali" .
        FILTER STRENDS(STR(?t), "clear signs of its success...")""",
    ),
    (
        "Belhaj is Director of the Quality Department at ONEE",
        """
        ?q schema:text ?t ; schema:creator ?p ; wop:speakerOrganization op:onee .
        ?p schema:name "Abdelillah Belhaj" .
        FILTER (STR(?t) = "Our approach is learning from the North and opening to the South.")""",
    ),
    (
        "BEWOP: launched September 2013, five years, UNESCO-IHE with GWOPA, funded by DGIS",
        """
        ?b a wop:Programme ; wop:launchDate "2013-09"^^xsd:gYearMonth ;
           wop:plannedDuration "P5Y"^^xsd:duration ;
           org:hasMember org_:unesco-ihe, org_:gwopa ;
           wop:funder org_:netherlands-ministry-of-foreign-affairs .
        org_:gwopa org:subOrganizationOf org_:un-habitat .
        org_:netherlands-ministry-of-foreign-affairs skos:altLabel ?dgis .
        FILTER (STR(?dgis) = "DGIS")""",
    ),
    (
        "DGIS funds the programme, not the WOP",
        """
        ?p a wop:Partnership ; wop:documentedBy ?b .
        FILTER NOT EXISTS { ?p wop:funder ?any }""",
    ),
    (
        "the fact sheet is a document of the BEWOP case series",
        """
        """
        + SHEET
        + """ a wop:SourceDocument ; dcterms:isPartOf ?s ;
            dcterms:publisher ?b . ?s a wop:DocumentSeries . ?b a wop:Programme .""",
    ),
    (
        "conventions of 2002 and 2009 come from SIAAP's site, not the fact sheet",
        """
        ?a wop:agreementOf ?p ; dcterms:date "2002-07"^^xsd:gYearMonth ;
           prov:wasDerivedFrom <https://international.siaap.fr/afrique/maroc/maroc-onee/> .
        FILTER NOT EXISTS { ?a prov:wasDerivedFrom """
        + SHEET
        + """ }""",
    ),
    (
        "the French Atlas entry (project 13513) is another record of the partnership, from 2002",
        """
        pt:onee-siaap rdfs:seeAlso ?atlas ; schema:startDate "2002"^^xsd:gYear ;
            wop:documentedIn ?record ; prov:wasDerivedFrom ?record .
        ?record a wop:SourceDocument ; schema:url ?atlas ; prov:wasDerivedFrom ?atlas ;
            dcterms:title "Formation gestion de réseau et travaux"@fr .
        FILTER (?atlas = <https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/"""
        + """detailProjet.html?criteres.prjId=13513>)""",
    ),
]


@pytest.mark.parametrize(("fact", "pattern"), FACTS, ids=[f for f, _ in FACTS])
def test_fact_is_in_the_graph(store, fact, pattern):
    query = PREFIXES + "ASK WHERE {" + pattern + "\n}"
    assert bool(store.query(query, use_default_prefixes=True)), fact


def test_every_entity_traces_to_a_source(store):
    rows = list(
        store.query(
            """
        SELECT ?s WHERE {
          GRAPH ?g { ?s a ?type }
          FILTER (STRSTARTS(STR(?s), "https://w3id.org/wop/id/"))
          FILTER NOT EXISTS { ?s prov:wasDerivedFrom|dcterms:source ?src }
        }""",
            use_default_prefixes=True,
        )
    )
    assert not rows, [r["s"].value for r in rows]
