"""Full-text search over post-mortems behind one interface: SQLite FTS5 (bm25) and PostgreSQL tsvector (BM25-style).

This module holds SQL, which is why it lives in the insights service package and not in analysis/. Each incident has
one row in search_documents (title, summary, factors, the timeline's highlights); refresh_search_index() rebuilds the
rows of the given incidents from their post-mortems, and the database's own index follows: FTS5 through triggers, the
tsvector column and the document frequencies (search_terms) through the statements below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from afteraction.analysis.similarity import Scored, candidate_words, choose_query_terms, tokenize
from afteraction.core.db import UTCDateTime, utcnow

# Relative weight of a match in each field: title, summary, factors, timeline (SQLite bm25 column weights).
FIELD_WEIGHTS: tuple[float, float, float, float] = (4.0, 1.0, 2.0, 0.5)
# PostgreSQL's ts_rank weights in its order {D, C, B, A}: timeline D, summary C, factors B, title A.
_PG_WEIGHTS = "{0.125, 0.25, 0.5, 1.0}"
_PG_TSV = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(factors, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(summary, '')), 'C') || "
    "setweight(to_tsvector('english', coalesce(timeline, '')), 'D')"
)
_N_DOCS_KEY = ""  # search_terms row that counts the documents
PG_POSTINGS_BUDGET = 800
PG_CANDIDATES = 3000


def _agg(dialect: str, expr: str) -> str:
    """String aggregation joined by spaces in the dialect's spelling."""
    return f"group_concat({expr}, ' ')" if dialect == "sqlite" else f"string_agg({expr}, ' ')"


def _documents_select(dialect: str, *, only_ids: bool) -> str:
    """A SELECT of (incident_id, title, summary, factors, timeline, updated_at), grouped per table, not per row."""
    where = "WHERE i.id IN :ids" if only_ids else ""
    pm_where = "WHERE p.incident_id IN :ids" if only_ids else ""
    cat = "||"

    def per_pm(table: str, expr: str, alias: str) -> str:
        return (
            f"LEFT JOIN (SELECT x.postmortem_id AS pid, {_agg(dialect, expr)} AS t FROM {table} x "
            f"JOIN postmortems p ON p.id = x.postmortem_id {pm_where} GROUP BY x.postmortem_id) {alias} "
            f"ON {alias}.pid = pm.id"
        )

    label_where = "WHERE x.incident_id IN :ids" if only_ids else ""
    # A timeline is searched by its highlights, the story (a million chat lines would drown it, and take a
    # million rows' text to index); the incident page's own filter searches every event.
    highlights = f"{label_where} AND x.highlight" if only_ids else "WHERE x.highlight"
    if dialect == "sqlite":
        highlights = highlights.replace("x.highlight", "x.highlight = 1")
    return f"""
        SELECT i.id AS incident_id, i.title AS title,
          coalesce(pm.summary, '') {cat} ' ' {cat} coalesce(pm.impact, '') {cat} ' ' {cat} coalesce(pm.trigger, '')
            {cat} ' ' {cat} coalesce(pm.detection, '') {cat} ' ' {cat} coalesce(pm.resolution, '')
            {cat} ' ' {cat} coalesce(pm.problem_statement, '') {cat} ' ' {cat} coalesce(es.t, '')
            {cat} ' ' {cat} coalesce(le.t, '') AS summary,
          coalesce(cf.t, '') {cat} ' ' {cat} coalesce(wn.t, '') {cat} ' ' {cat} coalesce(lb.t, '') AS factors,
          coalesce(te.t, '') AS timeline,
          :now AS updated_at
        FROM incidents i
        LEFT JOIN postmortems pm ON pm.incident_id = i.id
        {per_pm("contributing_factors", "x.text || ' ' || coalesce(x.category, '')", "cf")}
        {per_pm("why_nodes", "x.text", "wn")}
        {per_pm("lessons", "x.text", "le")}
        {per_pm("extra_sections", "x.heading || ' ' || x.body", "es")}
        LEFT JOIN (SELECT x.incident_id AS iid, {_agg(dialect, "x.value")} AS t FROM incident_labels x {label_where}
                   GROUP BY x.incident_id) lb ON lb.iid = i.id
        LEFT JOIN (SELECT x.incident_id AS iid, {_agg(dialect, "x.text")} AS t FROM timeline_events x {highlights}
                   GROUP BY x.incident_id) te ON te.iid = i.id
        {where}
    """


_COLUMNS = "incident_id, title, summary, factors, timeline, updated_at"


def _categories_sql(only_ids: bool) -> str:
    """INSERT of each incident's distinct categories (from its factors and category labels), lower-cased."""
    pm_where = "AND p.incident_id IN :ids" if only_ids else ""
    label_where = "AND l.incident_id IN :ids" if only_ids else ""
    return f"""
        INSERT INTO insight_categories (incident_id, value)
        SELECT incident_id, value FROM (
          SELECT p.incident_id AS incident_id, lower(trim(f.category)) AS value
          FROM contributing_factors f JOIN postmortems p ON p.id = f.postmortem_id
          WHERE f.category IS NOT NULL {pm_where}
          UNION
          SELECT l.incident_id, lower(trim(l.value)) FROM incident_labels l WHERE l.kind = 'category' {label_where}
        ) c WHERE value <> ''
    """


def refresh_categories(session: Session, ids: Sequence[int] | None) -> None:
    """Rewrite insight_categories for these incidents (every incident when ids is None)."""
    if ids is None:
        session.execute(text("DELETE FROM insight_categories"))
        _run(session, _categories_sql(only_ids=False))
        return
    _run(session, "DELETE FROM insight_categories WHERE incident_id IN :ids", ids)
    _run(session, _categories_sql(only_ids=True), ids)


class SearchIndex(Protocol):
    """Full-text search of post-mortems; one implementation per database."""

    def refresh(self, session: Session, incident_ids: Sequence[int]) -> None:
        """Bring the search documents of these incidents (row ids) up to date; gone incidents drop out."""

    def rebuild(self, session: Session) -> None:
        """Rebuild every search document from scratch (after a bulk load)."""

    def search(self, session: Session, query: str, *, limit: int, exclude: Sequence[int] = ()) -> list[Scored]:
        """Incidents ranked by BM25 relevance to a text, best first."""

    def document_count(self, session: Session) -> int:
        """How many incidents the index holds (cheaply: no scan of the documents)."""


def _run(session: Session, sql: str, ids: Sequence[int] | None = None) -> None:
    statement = text(sql)
    params: dict[str, object] = {}
    if ":now" in sql:
        statement = statement.bindparams(bindparam("now", type_=UTCDateTime()))
        params["now"] = utcnow()
    if ids is not None:
        statement = statement.bindparams(bindparam("ids", expanding=True))
        params["ids"] = list(ids)
    session.execute(statement, params)


class SqliteSearch:
    """FTS5 with its bm25() ranking; the index follows search_documents through triggers.

    Document frequencies for choosing query terms are kept in search_terms: FTS5's vocabulary table would walk a
    term's whole posting list to count it, a millisecond per common term on a large history.
    """

    _BATCH = (
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_batch USING fts5(title, summary, factors, timeline, "
        "tokenize='porter unicode61 remove_diacritics 2')",
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_batch_terms USING fts5vocab(temp, search_batch, row)",
        "DELETE FROM temp.search_batch",
    )

    def _count_terms(self, session: Session, ids: Sequence[int], sign: str) -> None:
        """Add (+) or subtract (−) the terms of these incidents' current documents to the document frequencies."""
        for statement in self._BATCH:
            session.execute(text(statement))
        _run(
            session,
            "INSERT INTO temp.search_batch (title, summary, factors, timeline) "
            "SELECT title, summary, factors, timeline FROM search_documents WHERE incident_id IN :ids",
            ids,
        )
        batch = (
            "SELECT term, doc AS n FROM temp.search_batch_terms UNION ALL SELECT '', count(*) FROM temp.search_batch"
        )
        if sign == "+":
            session.execute(
                text(
                    f"INSERT INTO search_terms (term, df) SELECT term, n FROM ({batch}) WHERE true "
                    "ON CONFLICT (term) DO UPDATE SET df = search_terms.df + excluded.df"
                )
            )
        else:
            session.execute(
                text(
                    f"UPDATE search_terms SET df = search_terms.df - c.n FROM ({batch}) AS c "
                    "WHERE search_terms.term = c.term"
                )
            )

    def refresh(self, session: Session, incident_ids: Sequence[int]) -> None:
        """Delete and re-insert the documents of these incidents (the FTS5 triggers update the index)."""
        ids = sorted(set(incident_ids))
        if not ids:
            return
        self._count_terms(session, ids, "-")
        _run(session, "DELETE FROM search_documents WHERE incident_id IN :ids", ids)
        _run(session, f"INSERT INTO search_documents ({_COLUMNS}) {_documents_select('sqlite', only_ids=True)}", ids)
        self._count_terms(session, ids, "+")
        refresh_categories(session, ids)

    def rebuild(self, session: Session) -> None:
        """Refill search_documents, rebuild the FTS5 index and take the document frequencies from its vocabulary."""
        session.execute(text("DELETE FROM search_documents"))
        session.execute(text("DELETE FROM search_terms"))
        _run(session, f"INSERT INTO search_documents ({_COLUMNS}) {_documents_select('sqlite', only_ids=False)}")
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
        session.execute(
            text(
                "INSERT INTO search_terms (term, df) SELECT term, doc FROM search_fts_vocab "
                "UNION ALL SELECT '', count(*) FROM search_fts_docsize"
            )
        )
        refresh_categories(session, None)
        for table in ("search_documents", "search_terms", "insight_categories"):
            session.execute(text(f"ANALYZE {table}"))

    def _stems(self, session: Session, query: str) -> tuple[dict[str, int], dict[str, str]]:
        """Each stem of the query (FTS5's own porter tokenizer) with its count, and a word of the query that has it."""
        words = candidate_words(query)
        if not words:
            return {}, {}
        session.execute(
            text(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_query USING fts5(body, "
                "tokenize='porter unicode61 remove_diacritics 2')"
            )
        )
        session.execute(
            text(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_query_terms "
                "USING fts5vocab(temp, search_query, instance)"
            )
        )
        session.execute(text("DELETE FROM temp.search_query"))
        session.execute(text("INSERT INTO temp.search_query(body) VALUES (:body)"), {"body": " ".join(words)})
        counts = {word: 0 for word in words}
        for token in tokenize(query):
            if token in counts:
                counts[token] += 1
        tf: dict[str, int] = {}
        surface: dict[str, str] = {}
        for term, offset in session.execute(text('SELECT term, "offset" FROM temp.search_query_terms')):
            word = words[offset] if 0 <= offset < len(words) else term
            tf[term] = tf.get(term, 0) + counts.get(word, 1)
            surface.setdefault(term, word)
        return tf, surface

    def search(self, session: Session, query: str, *, limit: int, exclude: Sequence[int] = ()) -> list[Scored]:
        """bm25() over the OR of the query's most telling terms."""
        tf, surface = self._stems(session, query)
        if not tf:
            return []
        df = _document_frequencies(session, list(tf))
        n_docs = df.pop(_N_DOCS_KEY, 0)
        terms = choose_query_terms(tf, df, n_docs)
        if not terms:
            return []
        match = " OR ".join(f'"{surface[term]}"' for term in terms)
        weights = ", ".join(str(w) for w in FIELD_WEIGHTS)
        statement = text(
            f"SELECT rowid, bm25(search_fts, {weights}) AS rank FROM search_fts "
            "WHERE search_fts MATCH :match AND rowid NOT IN :exclude ORDER BY rank LIMIT :limit"
        ).bindparams(bindparam("exclude", expanding=True))
        rows = session.execute(statement, {"match": match, "exclude": list(exclude) or [-1], "limit": limit})
        return [Scored(int(rowid), -float(rank)) for rowid, rank in rows]

    def document_count(self, session: Session) -> int:
        """FTS5's own table of document sizes has one small row per document."""
        return int(session.scalar(text("SELECT count(*) FROM search_fts_docsize")) or 0)


class PostgresSearch:
    """A weighted tsvector with a GIN index; ranks by Σ idf(term)·ts_rank(term), normalised by document length."""

    def _count_terms(self, session: Session, ids: Sequence[int], sign: str) -> None:
        """Add (+) or subtract (−) the documents of these incidents to the document frequencies."""
        if sign == "+":
            _run(
                session,
                "INSERT INTO search_terms (term, df) SELECT term, n FROM ("
                "  SELECT u.lexeme AS term, count(*) AS n FROM search_documents d, unnest(d.tsv) u"
                "  WHERE d.incident_id IN :ids GROUP BY u.lexeme"
                "  UNION ALL SELECT '', count(*) FROM search_documents WHERE incident_id IN :ids"
                ") c ORDER BY term "
                "ON CONFLICT (term) DO UPDATE SET df = search_terms.df + excluded.df",
                ids,
            )
        else:
            _run(
                session,
                "UPDATE search_terms t SET df = t.df - c.n FROM ("
                "  SELECT u.lexeme AS term, count(*) AS n FROM search_documents d, unnest(d.tsv) u"
                "  WHERE d.incident_id IN :ids GROUP BY u.lexeme"
                "  UNION ALL SELECT '', count(*) FROM search_documents WHERE incident_id IN :ids"
                ") c WHERE t.term = c.term",
                ids,
            )

    def refresh(self, session: Session, incident_ids: Sequence[int]) -> None:
        """Re-insert the documents of these incidents, recompute their tsvector and the document frequencies."""
        ids = sorted(set(incident_ids))
        if not ids:
            return
        self._count_terms(session, ids, "-")
        _run(session, "DELETE FROM search_documents WHERE incident_id IN :ids", ids)
        select = _documents_select("postgresql", only_ids=True)
        _run(session, f"INSERT INTO search_documents ({_COLUMNS}) {select}", ids)
        _run(session, f"UPDATE search_documents SET tsv = {_PG_TSV} WHERE incident_id IN :ids", ids)
        self._count_terms(session, ids, "+")
        refresh_categories(session, ids)

    def document_count(self, session: Session) -> int:
        """The document count kept in search_terms under the empty term."""
        return _pg_document_count(session)

    def rebuild(self, session: Session) -> None:
        """Refill search_documents, their tsvectors and the document frequencies (ts_stat) in one pass each."""
        session.execute(text("DELETE FROM search_documents"))
        session.execute(text("DELETE FROM search_terms"))
        _run(
            session,
            f"INSERT INTO search_documents ({_COLUMNS}, tsv) SELECT s.*, {_PG_TSV} "
            f"FROM ({_documents_select('postgresql', only_ids=False)}) s",
        )
        session.execute(
            text(
                "INSERT INTO search_terms (term, df) "
                "SELECT word, ndoc FROM ts_stat('SELECT tsv FROM search_documents') "
                "UNION ALL SELECT '', count(*) FROM search_documents"
            )
        )
        refresh_categories(session, None)
        # Fresh statistics, or the planner takes these freshly filled tables for empty ones.
        session.execute(text("ANALYZE search_documents, search_terms, insight_categories"))

    def search(self, session: Session, query: str, *, limit: int, exclude: Sequence[int] = ()) -> list[Scored]:
        """Σ over the chosen lexemes of idf · ts_rank, divided by 1 + ln(document length)."""
        from afteraction.analysis.similarity import idf

        words = candidate_words(query)
        if not words:
            return []
        tf: dict[str, int] = {}
        counts = {word: 0 for word in words}
        for token in tokenize(query):
            if token in counts:
                counts[token] += 1
        rows = session.execute(
            text("SELECT u.lexeme, array_length(u.positions, 1) FROM unnest(to_tsvector('english', :q)) u"),
            {"q": " ".join(w for word in words for w in [word] * min(counts[word], 3))},
        )
        for lexeme, count in rows:
            tf[str(lexeme)] = int(count or 1)
        if not tf:
            return []
        df = _document_frequencies(session, list(tf))
        n_docs = df.pop(_N_DOCS_KEY, 0)
        # ts_rank reads each candidate's tsvector: a smaller budget than SQLite's keeps the candidates few.
        terms = choose_query_terms(tf, df, n_docs, postings_budget=PG_POSTINGS_BUDGET)
        if not terms:
            return []
        weights = [idf(df[t], n_docs) for t in terms]
        quoted = [_tsquery_literal(t) for t in terms]
        # One ts_rank per chosen term, spelled out: cheaper per row than a correlated unnest.
        parts = " + ".join(
            f"CAST(:w{i} AS float8) * ts_rank('{_PG_WEIGHTS}', d.tsv, CAST(:t{i} AS tsquery), 0)"
            for i in range(len(terms))
        )
        ranked = text(
            f"""SELECT d.incident_id, ({parts}) / (1 + ln(greatest(length(d.tsv), 1))) AS score
                FROM (SELECT incident_id, tsv FROM search_documents
                      WHERE tsv @@ CAST(:match AS tsquery) AND incident_id NOT IN :exclude LIMIT :cap) d
                ORDER BY score DESC, d.incident_id LIMIT :limit"""
        ).bindparams(bindparam("exclude", expanding=True))
        params: dict[str, object] = {
            "match": " | ".join(quoted),
            "exclude": list(exclude) or [-1],
            "limit": limit,
            # Only a query whose best term is in most documents reaches this: such a term says little, and scoring
            # a sample of its documents keeps the search fast.
            "cap": PG_CANDIDATES,
        }
        for i, (term, weight) in enumerate(zip(quoted, weights, strict=True)):
            params[f"t{i}"] = term
            params[f"w{i}"] = weight
        rows = session.execute(ranked, params)
        return [Scored(int(i), float(s)) for i, s in rows]


def _document_frequencies(session: Session, terms: list[str]) -> dict[str, int]:
    """Document frequencies of terms from search_terms, with the document count under the empty term."""
    statement = text("SELECT term, df FROM search_terms WHERE term IN :terms").bindparams(
        bindparam("terms", expanding=True)
    )
    return {str(t): int(n) for t, n in session.execute(statement, {"terms": [*terms, _N_DOCS_KEY]})}


def _pg_document_count(session: Session) -> int:
    return int(session.scalar(text("SELECT df FROM search_terms WHERE term = ''")) or 0)


def _tsquery_literal(lexeme: str) -> str:
    """A lexeme as a tsquery operand, quoted so that no character in it is read as an operator."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def search_index_for(session: Session) -> SearchIndex:
    """The search implementation of the session's database."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return SqliteSearch()
    if name == "postgresql":
        return PostgresSearch()
    raise NotImplementedError(f"full-text search is not available on {name}")


def current_document_text(session: Session, incident_id: int) -> str | None:
    """The searchable text of one incident as it is now (title, factors, summary, timeline), read from its
    post-mortem without writing its search document: what a read that needs one fresh document uses."""
    dialect = session.get_bind().dialect.name
    statement = text(_documents_select(dialect, only_ids=True)).bindparams(
        bindparam("ids", expanding=True), bindparam("now", type_=UTCDateTime())
    )
    row = session.execute(statement, {"ids": [incident_id], "now": utcnow()}).first()
    if row is None:
        return None
    return "\n".join(str(part or "") for part in (row.title, row.factors, row.summary, row.timeline))


def refresh_search_index(session: Session, incident_ids: Sequence[int]) -> None:
    """Update the search documents of these incidents (row ids, not INC numbers) in the caller's transaction."""
    search_index_for(session).refresh(session, incident_ids)


def rebuild_search_index(session: Session) -> None:
    """Rebuild the whole search index (after a bulk load, or when it is suspected stale)."""
    search_index_for(session).rebuild(session)
