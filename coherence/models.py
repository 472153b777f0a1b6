from django.db import models


class Generation(models.Model):
    """The version of one kind of data that processes keep in memory (configs, API tokens).

    A new ``value`` means "what you loaded is out of date". It only grows, so a
    late copy of an older value can never replace a newer one in the shared
    cache. The database row is the truth; the shared cache holds a copy so that
    a check costs no query.
    """

    name = models.CharField(primary_key=True, max_length=50)
    value = models.BigIntegerField(default=1)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "coherence_generations"

    def __str__(self):
        return f"{self.name} @ {self.value}"
