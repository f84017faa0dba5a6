# The search index (docs/search.md). Tokens are cut in Python (shuxiang.lib.tokens) and
# stored here; the tables stay empty until `shuxiang reindex` or a record is saved.
#
# SQLite: an FTS5 table keyed by the record id, one column per weight class. A trigger
# drops a record's row when the record is deleted, however that happens.
# PostgreSQL: a tsvector column on catalog_record (so TRUNCATE and deletes take it along)
# with a GIN index. No extension is needed on either.

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
    "ALTER TABLE catalog_record ADD COLUMN IF NOT EXISTS search_document tsvector",
    """
    CREATE INDEX IF NOT EXISTS catalog_record_search_gin
    ON catalog_record USING gin (search_document)
    """,
]
POSTGRESQL_BACKWARDS = [
    "DROP INDEX IF EXISTS catalog_record_search_gin",
    "ALTER TABLE catalog_record DROP COLUMN IF EXISTS search_document",
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
