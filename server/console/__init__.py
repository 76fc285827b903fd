"""What the back-office console needs beyond the domain APIs: the dispatcher's engineer list, the QA
reviewer's whole service form (also as a printable PDF), the conflict queue with names, and report
exports (CSV, XLSX). ``routes.console_routes`` is registered by ``server/app.py``."""
