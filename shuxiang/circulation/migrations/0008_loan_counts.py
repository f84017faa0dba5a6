"""The index the term report reads the period's loan counts from (reports.figures).

AddIndex touches no other index: the partial unique index one_open_loan_per_item stays.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0007_withdrawn_events"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="loan",
            index=models.Index(
                fields=[
                    "kind",
                    "patron_type",
                    "school_class",
                    "patron",
                    "checked_out_on",
                    "renewals",
                ],
                name="loan_counts",
                condition=models.Q(renewals__gte=0),
            ),
        ),
    ]
