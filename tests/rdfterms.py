"""RDF term facts that several tests need."""

XSD = "http://www.w3.org/2001/XMLSchema#"

#: The types derived from xsd:integer. Oxigraph's store keeps their values as xsd:integer (the
#: same value): served RDF says "1"^^xsd:integer where the source says xsd:positiveInteger.
INTEGER_TYPES = {
    XSD + t
    for t in (
        "positiveInteger",
        "nonNegativeInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
}
