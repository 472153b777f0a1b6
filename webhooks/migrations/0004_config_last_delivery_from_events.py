"""A config's last delivery is read from its events: index (config, received_at), no column written.

Safe to run while the previous version serves:

- not atomic, and on PostgreSQL the index is built CONCURRENTLY, so deliveries
  keep being inserted meanwhile (a plain CREATE INDEX would block them for the
  whole build); the old single-column index is dropped only once the new one
  exists, which takes its lock for a moment only;
- ``last_delivery_at`` leaves the model but not yet the table: processes of the
  previous version still select and update it. It is nullable, so inserts of
  this version work without it. Drop the column in a later release.
"""

import django.db.models.deletion
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("webhooks", "0003_config_without_db_constraint"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="webhookevent",
            index=models.Index(fields=["config", "received_at"], name="webhook_event_config_idx"),
        ),
        migrations.AlterField(
            model_name="webhookevent",
            name="config",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="deliveries",
                to="webhooks.webhookconfig",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField(model_name="webhookconfig", name="last_delivery_at")],
            database_operations=[],
        ),
    ]
