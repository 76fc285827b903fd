"""The garbage collector's pace in the API server (`levee serve`).

Building a first download makes about a million short-lived objects (a dict per row, a string per id
and time). With CPython's default thresholds (700, 10, 10) the collector ran a young collection every
700 of them and a full one, over every object the process holds (SQLAlchemy's and Litestar's tables,
the app's modules), every few hundred thousand: a third of the time spent building 10,000 job documents
(docs/performance.md, "Issue 15, ninth part"). None of those objects are in cycles: reference counting
frees them as soon as they are done with, and the collector exists only for cycles.

So the server collects less often, and what start-up made (imports, the app, its metadata) is moved
out of the collector's sight once, before the first request.

Only the server: the web apps (`levee app`, `levee console`, the field app in the browser) are Flet
sessions, and Flet lets go of an unmounted component through garbage collection (an observable's
listeners are a weak set, the session's controls a weak dictionary), so collecting less often there
would keep unmounted components listening longer, and what it bought there was small (the browser's
first download of 10,000 jobs 6 % faster, `levee app`'s inside the noise: docs/performance.md, "Issue 15,
ninth part"). Not worth a change to when Flet lets go of a screen.
"""

from __future__ import annotations

import gc

#: Young collections every this many net allocations instead of 700: a page of jobs, not a handful of
#: rows. Measured 20,000 and 50,000 alike (documents of 10,000 jobs 0.73-0.83 s against 1.06-1.25 s).
YOUNG_THRESHOLD = 20_000


def tune_collector() -> None:
    """Freeze what start-up made and raise the young generation's threshold; the older generations'
    thresholds stay (each counts the collections of the one below, so they now run as seldom too)."""
    gc.collect()  # what start-up left as garbage is not frozen with the rest
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
