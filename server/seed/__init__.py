"""Demo data for an empty database (``levee seed``, ``levee demo``): a supplier's after-sales desk in
Jiangxi after six months of work, rebuilt identically from ``rng_seed`` and ``now``.

``demo.py`` fills the database; ``reference.py`` reads the reference data from ``data/*.json``; the
builders are split by what they build: ``people.py``, ``places.py`` (customers, sites, equipment),
``policies.py`` (SLA), ``jobs.py`` (calls and what happened) and ``timeline.py`` (assignments, taps,
answers, numbers), all over the shared state in ``state.py``.
"""

from server.seed.demo import JOB_NUMBER_COUNTER, DemoLogin, SeedError, SeedResult, format_logins, seed_demo

__all__ = ["JOB_NUMBER_COUNTER", "DemoLogin", "SeedError", "SeedResult", "format_logins", "seed_demo"]
