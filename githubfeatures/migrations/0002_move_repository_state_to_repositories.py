"""The repository-state models now live in the repositories app: removed from githubfeatures' state only.

``database_operations`` is empty: the tables and their rows stay, owned from here on by
repositories 0001 (which runs first, see ``dependencies``). Models that point at another
are removed before the one they point at.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("githubfeatures", "0001_initial"),
        ("repositories", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Commit"),
                migrations.DeleteModel(name="Push"),
                migrations.DeleteModel(name="Label"),
                migrations.DeleteModel(name="Issue"),
                migrations.DeleteModel(name="PullRequest"),
                migrations.DeleteModel(name="Repository"),
            ],
        ),
    ]
