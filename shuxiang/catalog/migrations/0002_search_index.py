# The search index (docs/search.md). Tokens are cut in Python (shuxiang.lib.tokens) and
# stored here; the tables stay empty until `shuxiang reindex` or a record is saved.
#
# SQLite: an FTS5 table keyed by the record id, one column per weight class.
# PostgreSQL: a table of tsvectors ('simple' configuration) with a GIN index. It is kept
# apart from catalog_record so that a rebuild does not rewrite every record row (and its
# seven indexes), and so that other queries on records do not carry a kilobyte of tokens.
# On both, triggers drop a record's tokens when the record is deleted or the table is
# truncated, however that happens; there is no foreign key, which would make Django's own
# TRUNCATE (test flushes) fail. No extension is needed on either.

from django.db import migrations

SQLITE_FORWARDS = [
    # detail=column keeps which column matched (for the bm25 weights) but no positions:
    # nothing here asks for phrases, and the index is about half the size.
    # prefix= indexes the spelled tokens' first 1–3 typed letters (p + letters).
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS catalog_record_search USING fts5(
        title, authors, other, codes, variants,
        tokenize = 'unicode61', prefix = '2 3 4', detail = column
    )
    """,
    # Title matches weigh most, then authors; publisher, series and subjects least; the
    # other readings of heteronyms next to nothing. bm25 saturates the weighted hit count,
    # so weights below 1 are what keep the columns apart.
    """
    INSERT INTO catalog_record_search(catalog_record_search, rank)
    VALUES ('rank', 'bm25(1.0, 0.4, 0.15, 0.15, 0.01)')
    """,
    """
    CREATE TRIGGER IF NOT EXISTS catalog_record_search_delete
    AFTER DELETE ON catalog_record BEGIN
        DELETE FROM catalog_record_search WHERE rowid = old.id;
    END
    """,
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS catalog_record_search_delete",
    "DROP TABLE IF EXISTS catalog_record_search",
]
POSTGRESQL_FORWARDS = [
    # A draft of this migration kept the tsvector on catalog_record itself; a database
    # migrated back and forth since must not keep its index under the name used below.
    "ALTER TABLE catalog_record DROP COLUMN IF EXISTS search_document",
    """
    CREATE TABLE IF NOT EXISTS catalog_record_search (
        record_id bigint PRIMARY KEY,
        document tsvector NOT NULL
    )
    """,
    """
    CREATE INDEX IF NOT EXISTS catalog_record_search_gin
    ON catalog_record_search USING gin (document)
    """,
    """
    CREATE OR REPLACE FUNCTION catalog_record_search_forget() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            TRUNCATE catalog_record_search;
        ELSE
            DELETE FROM catalog_record_search WHERE record_id = OLD.id;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE TRIGGER catalog_record_search_delete
    AFTER DELETE ON catalog_record
    FOR EACH ROW EXECUTE FUNCTION catalog_record_search_forget()
    """,
    """
    CREATE OR REPLACE TRIGGER catalog_record_search_truncate
    AFTER TRUNCATE ON catalog_record
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_record_search_forget()
    """,
]
POSTGRESQL_BACKWARDS = [
    "DROP TRIGGER IF EXISTS catalog_record_search_truncate ON catalog_record",
    "DROP TRIGGER IF EXISTS catalog_record_search_delete ON catalog_record",
    "DROP FUNCTION IF EXISTS catalog_record_search_forget()",
    "DROP TABLE IF EXISTS catalog_record_search",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARDS)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_FORWARDS)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_BACKWARDS)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
