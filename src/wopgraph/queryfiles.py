"""The ``queries/`` library: SPARQL files with a header that documents them.

A query file starts with comment lines of the form ``# key: value``::

    # title: Partnerships with mentor, mentee and their countries
    # description: What it answers, for whom.
    # answer: One row: ONEE–SIAAP, SIAAP (France) mentoring ONEE (Morocco).
    # expected-csv:
    #   partnership,mentor,mentorCountry
    #   https://w3id.org/wop/id/partnership/onee-siaap,...

``title`` is required. ``expected-csv`` holds the expected result as SPARQL CSV (header row,
then one line per row, each indented under the key); tests compare it with the real result.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

HEADER = re.compile(r"^#\s*([a-z][a-z-]*):\s?(.*)$")


class QueryFileError(ValueError):
    """A query file whose header is malformed; names the file."""


@dataclass(frozen=True)
class QueryFile:
    """One ``.rq`` file: its name (file stem), header fields and SPARQL text."""

    name: str
    path: Path
    sparql: str
    title: str
    description: str = ""
    answer: str = ""
    expected: list[list[str]] | None = None
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def ordered(self) -> bool:
        """Whether row order is part of the answer (the query has ORDER BY)."""
        return re.search(r"\bORDER\s+BY\b", self.sparql, re.IGNORECASE) is not None


def parse_query_file(path: Path) -> QueryFile:
    """Read ``path`` and parse its header; raise :class:`QueryFileError` if it has no title.

    Indented comment lines continue the key above them (for ``expected-csv``, each is a row).
    """
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    rows: list[str] | None = None
    key = None
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        if key and re.match(r"^#\s{2,}\S", line):
            if key == "expected-csv":
                rows.append(line[1:].strip())
            else:
                fields[key] += " " + line[1:].strip()
            continue
        match = HEADER.match(line)
        key = match.group(1) if match else None
        if key == "expected-csv":
            rows = []
        elif key:
            fields[key] = match.group(2).strip()
    if "title" not in fields:
        raise QueryFileError(f"{path}: the header has no '# title:' line")
    expected = list(csv.reader(io.StringIO("\n".join(rows)))) if rows is not None else None
    return QueryFile(
        name=path.stem,
        path=path,
        sparql=text,
        title=fields["title"],
        description=fields.get("description", ""),
        answer=fields.get("answer", ""),
        expected=expected,
        fields=fields,
    )


def load_query_files(folder: Path) -> list[QueryFile]:
    """Every ``*.rq`` directly in ``folder``, sorted by name."""
    if not folder.is_dir():
        return []
    return [parse_query_file(p) for p in sorted(folder.glob("*.rq"))]
