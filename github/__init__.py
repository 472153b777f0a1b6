"""The GitHub REST client: a library package with no models, views or app imports.

- ``sansio``: pure functions over status, headers and bodies (rate-limit
  state, ``Link``, ``retry-after``, which limit a refusal is); no I/O.
- ``errors``: what a call raises.
- ``responses``: what a call returns.
- ``credentials``: who the client is to GitHub (a token today).
- ``ratelimit_store``: where the client keeps what GitHub said about its
  limits; an app provides the stored one (``GITHUB_RATE_LIMIT_STORE``).
- ``transport``: one pooled session, transient failures retried (tenacity).
- ``throttling``: known limits respected, secondary limits and writes spaced.
- ``resources`` / ``cache``: the reads worth caching, and the ETag cache.
- ``client``: the client that ties these together, and ``get_client()``.
- ``metrics``: the Prometheus series of all of the above.
"""
