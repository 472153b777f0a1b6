"""The moved models keep their content types, so permissions granted on them (and admin log entries) follow.

Without this, ``migrate`` would create new ``repositories.*`` content types and permissions
after the migrations, and groups or users given e.g. "Can view pull request" would
silently lose it. A content type already present under the new label (nothing to move)
is left alone; so is one missing under the old label (a fresh database).
"""

from django.db import migrations

MODELS = ["repository", "pullrequest", "issue", "label", "push", "commit"]


def relabel(old_label, new_label):
    def run(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        content_types = ContentType.objects.db_manager(schema_editor.connection.alias)
        taken = set(content_types.filter(app_label=new_label, model__in=MODELS).values_list("model", flat=True))
        content_types.filter(app_label=old_label, model__in=set(MODELS) - taken).update(app_label=new_label)
        content_types.clear_cache()

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("repositories", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(relabel("githubfeatures", "repositories"), relabel("repositories", "githubfeatures")),
    ]
