"""Operations: Prometheus metrics (``/metrics``), request ids and JSON logs.

* :mod:`.metrics` holds the process's registry: counters and histograms written on the hot path
  (plain dicts keyed by label tuples, no locks: one event loop writes them) and gauges read at scrape
  time (the outbox, the database pools, the realtime sockets).
* :mod:`.middleware` is the outermost ASGI layer: it gives every request an id and counts it by its
  route template once Litestar has routed it.
* :mod:`.logging` renders log records as one JSON object per line, with the request id.
"""
