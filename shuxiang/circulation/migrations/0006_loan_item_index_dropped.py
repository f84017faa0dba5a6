"""The item column's own index goes: loan_item_kind_day starts with the copy and serves it.

Dropped by name with SQL, and only the state told of db_index=False: an AlterField would
have the schema editor drop every index on the column, on PostgreSQL the partial unique
index one_open_loan_per_item among them (it did, in a first try).
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "circulation_loan_item_id_ee9877f3"


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_importbatch_item_import_batch_record_import_batch"),
        ("circulation", "0005_loan_item_kind_day"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    reverse_sql=f"CREATE INDEX {INDEX} ON circulation_loan (item_id)",
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="loan",
                    name="item",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="loans",
                        to="catalog.item",
                    ),
                )
            ],
        )
    ]
