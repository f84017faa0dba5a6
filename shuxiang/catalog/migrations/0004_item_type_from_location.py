"""Copies already shelved in a room-only location are reference books; periodicals and
audio-visual records give their copies that type. Re-runnable: it only sets the type of
copies still marked general."""

from django.db import migrations


def set_types(apps, schema_editor):
    Item = apps.get_model("catalog", "Item")
    general = Item.objects.filter(item_type="general")
    general.filter(location__room_only=True).update(item_type="reference")
    general.filter(record__material_type="periodical").update(item_type="periodical")
    general.filter(record__material_type="audio_visual").update(item_type="audio_visual")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_item_type")]

    operations = [migrations.RunPython(set_types, migrations.RunPython.noop)]
