import datetime

import django_filters


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 filter whose value is compared in UTC.

    Python accepts offsets up to ±23:59; PostgreSQL refuses beyond ±15:59
    ("time zone displacement out of range"). The instant is what matters.
    """

    def filter(self, qs, value):
        if value is not None:
            value = value.astimezone(datetime.UTC)
        return super().filter(qs, value)
