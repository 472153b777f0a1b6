import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("subscriptions", "0001_initial"),
        ("webhooks", "0007_delivery_receipts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="event",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="webhooks.webhookevent",
            ),
        ),
    ]
