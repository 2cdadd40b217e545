"""The review workflow, free of any window or transport.

- `order`: case order (dataset order or a per-reviewer seeded shuffle) and where to resume.
- `label`: the case label shown to the reviewer (split by the project's delimiter).
- `timing`: time a case was actually on screen, progress n/N and time left.
- `windowing`: automatic window/level from percentiles of a subsample.
- `cache`: a small LRU of loaded volumes with background prefetch.
- `outbox`: every answer in local SQLite (WAL) before the view moves on, synced in the background.
- `session`: one open project on one dataset, tying the above together for the Bridge.
"""
