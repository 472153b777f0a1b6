"""The repository-state models, moved here from githubfeatures: in Django's state only.

The tables (``repositories``, ``pull_requests``, ``issues``, ``labels``, ``pushes``,
``commits``) were created by githubfeatures 0001 and keep their names, indexes,
constraints and rows: ``database_operations`` is empty, so nothing is run on the
database. githubfeatures 0002 then removes the models from githubfeatures' state.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # The tables these models describe.
        ("githubfeatures", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Repository',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('github_id', models.BigIntegerField(unique=True)),
                        ('full_name', models.CharField(db_index=True, max_length=140)),
                        ('owner_login', models.CharField(max_length=100)),
                        ('name', models.CharField(max_length=100)),
                        ('private', models.BooleanField(default=False)),
                        ('description', models.TextField(blank=True, default='')),
                        ('html_url', models.URLField(blank=True, default='', max_length=500)),
                        ('default_branch', models.CharField(blank=True, default='', max_length=255)),
                        ('archived', models.BooleanField(default=False)),
                        ('deleted', models.BooleanField(default=False)),
                        ('github_created_at', models.DateTimeField(blank=True, null=True)),
                        ('github_updated_at', models.DateTimeField(blank=True, null=True)),
                        ('pushed_at', models.DateTimeField(blank=True, null=True)),
                        ('synced_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'verbose_name_plural': 'repositories',
                        'db_table': 'repositories',
                        'ordering': ['full_name'],
                    },
                ),
                migrations.CreateModel(
                    name='Push',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('delivery_id', models.CharField(max_length=64, unique=True)),
                        ('ref', models.CharField(max_length=255)),
                        ('before', models.CharField(max_length=40)),
                        ('after', models.CharField(max_length=40)),
                        ('forced', models.BooleanField(default=False)),
                        ('created', models.BooleanField(default=False)),
                        ('deleted', models.BooleanField(default=False)),
                        ('pusher_name', models.CharField(blank=True, default='', max_length=100)),
                        ('pusher_email', models.CharField(blank=True, default='', max_length=254)),
                        ('commit_count', models.PositiveIntegerField(default=0, help_text='Commits in the payload.')),
                        ('distinct_count', models.PositiveIntegerField(default=0, help_text='Of those, commits new to the repository.')),
                        ('commits_truncated', models.BooleanField(default=False)),
                        ('head_commit_id', models.CharField(blank=True, default='', max_length=40)),
                        ('head_commit_message', models.TextField(blank=True, default='')),
                        ('head_commit_timestamp', models.DateTimeField(blank=True, null=True)),
                        ('compare_url', models.URLField(blank=True, default='', max_length=500)),
                        ('received_at', models.DateTimeField()),
                        ('repository', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pushes', to='repositories.repository')),
                    ],
                    options={
                        'verbose_name_plural': 'pushes',
                        'db_table': 'pushes',
                        'ordering': ['-received_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='PullRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField()),
                        ('github_id', models.BigIntegerField()),
                        ('title', models.TextField()),
                        ('state', models.CharField(max_length=20)),
                        ('draft', models.BooleanField(default=False)),
                        ('merged', models.BooleanField(default=False)),
                        ('merged_at', models.DateTimeField(blank=True, null=True)),
                        ('author_login', models.CharField(blank=True, default='', max_length=100)),
                        ('head_ref', models.CharField(blank=True, default='', max_length=255)),
                        ('head_sha', models.CharField(blank=True, default='', max_length=40)),
                        ('base_ref', models.CharField(blank=True, default='', max_length=255)),
                        ('base_sha', models.CharField(blank=True, default='', max_length=40)),
                        ('labels', models.JSONField(default=list)),
                        ('assignees', models.JSONField(default=list)),
                        ('requested_reviewers', models.JSONField(default=list)),
                        ('html_url', models.URLField(blank=True, default='', max_length=500)),
                        ('github_created_at', models.DateTimeField(blank=True, null=True)),
                        ('github_updated_at', models.DateTimeField(blank=True, null=True)),
                        ('closed_at', models.DateTimeField(blank=True, null=True)),
                        ('last_action', models.CharField(blank=True, default='', max_length=64)),
                        ('last_delivery_id', models.CharField(blank=True, default='', max_length=64)),
                        ('synced_at', models.DateTimeField(auto_now=True)),
                        ('repository', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pull_requests', to='repositories.repository')),
                    ],
                    options={
                        'db_table': 'pull_requests',
                        'ordering': ['repository', '-number'],
                    },
                ),
                migrations.CreateModel(
                    name='Label',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('github_id', models.BigIntegerField()),
                        ('name', models.CharField(max_length=100)),
                        ('color', models.CharField(blank=True, default='', max_length=6)),
                        ('description', models.TextField(blank=True, default='')),
                        ('deleted', models.BooleanField(default=False)),
                        ('synced_at', models.DateTimeField(auto_now=True)),
                        ('repository', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='labels', to='repositories.repository')),
                    ],
                    options={
                        'db_table': 'labels',
                        'ordering': ['repository', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='Issue',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField()),
                        ('github_id', models.BigIntegerField()),
                        ('title', models.TextField()),
                        ('state', models.CharField(max_length=20)),
                        ('state_reason', models.CharField(blank=True, default='', max_length=30)),
                        ('author_login', models.CharField(blank=True, default='', max_length=100)),
                        ('labels', models.JSONField(default=list)),
                        ('assignees', models.JSONField(default=list)),
                        ('milestone_title', models.CharField(blank=True, default='', max_length=255)),
                        ('comments', models.PositiveIntegerField(default=0)),
                        ('is_pull_request', models.BooleanField(default=False)),
                        ('html_url', models.URLField(blank=True, default='', max_length=500)),
                        ('github_created_at', models.DateTimeField(blank=True, null=True)),
                        ('github_updated_at', models.DateTimeField(blank=True, null=True)),
                        ('closed_at', models.DateTimeField(blank=True, null=True)),
                        ('deleted', models.BooleanField(default=False)),
                        ('transferred_to', models.CharField(blank=True, default='', max_length=160)),
                        ('last_action', models.CharField(blank=True, default='', max_length=64)),
                        ('last_delivery_id', models.CharField(blank=True, default='', max_length=64)),
                        ('synced_at', models.DateTimeField(auto_now=True)),
                        ('repository', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='issues', to='repositories.repository')),
                    ],
                    options={
                        'db_table': 'issues',
                        'ordering': ['repository', '-number'],
                    },
                ),
                migrations.CreateModel(
                    name='Commit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sha', models.CharField(max_length=40)),
                        ('message', models.TextField(blank=True, default='')),
                        ('author_name', models.CharField(blank=True, default='', max_length=255)),
                        ('author_email', models.CharField(blank=True, default='', max_length=254)),
                        ('author_username', models.CharField(blank=True, default='', max_length=100)),
                        ('timestamp', models.DateTimeField(blank=True, null=True)),
                        ('url', models.URLField(blank=True, default='', max_length=500)),
                        ('distinct', models.BooleanField(default=True)),
                        ('push', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='commits', to='repositories.push')),
                    ],
                    options={
                        'db_table': 'commits',
                        'ordering': ['push', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('push', 'sha'), name='commit_unique_per_push')],
                    },
                ),
                migrations.AddIndex(
                    model_name='push',
                    index=models.Index(fields=['repository', 'ref'], name='push_repository_ref_idx'),
                ),
                migrations.AddIndex(
                    model_name='pullrequest',
                    index=models.Index(fields=['state'], name='pull_request_state_idx'),
                ),
                migrations.AddConstraint(
                    model_name='pullrequest',
                    constraint=models.UniqueConstraint(fields=('repository', 'number'), name='pull_request_unique_number'),
                ),
                migrations.AddConstraint(
                    model_name='label',
                    constraint=models.UniqueConstraint(fields=('repository', 'github_id'), name='label_unique_github_id'),
                ),
                migrations.AddIndex(
                    model_name='issue',
                    index=models.Index(fields=['state'], name='issue_state_idx'),
                ),
                migrations.AddConstraint(
                    model_name='issue',
                    constraint=models.UniqueConstraint(fields=('repository', 'number'), name='issue_unique_number'),
                ),
            ],
        ),
    ]
