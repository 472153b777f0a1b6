from rest_framework import serializers

from .models import Commit, Issue, PullRequest, Push, Repository


class RepositorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Repository
        fields = "__all__"


class PullRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = PullRequest
        exclude = ["repository"]


class IssueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Issue
        exclude = ["repository"]


class CommitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commit
        exclude = ["id", "push"]


class PushSerializer(serializers.ModelSerializer):
    commits = CommitSerializer(many=True, read_only=True)

    class Meta:
        model = Push
        exclude = ["repository"]
