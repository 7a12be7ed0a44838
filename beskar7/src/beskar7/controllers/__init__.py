"""One folder per kind (machine/, host/, cluster/), each a thin reconciler over a pure core.

One vocabulary for all three: the shell (reconciler.py) reads what it needs, the core (core.py)
answers `decide(...) -> Step` (the next status and whatever the shell must do besides), and the
shell carries the step out through the shared helpers in shell.py (finalizers, a status write
only when it changed) and answers the runtime with a named outcome (`DONE`, `CONFLICT`,
`BACK_OFF`, `Result.after(seconds)`). Each folder's stats.py keeps its kind's metrics true.
"""
