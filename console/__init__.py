"""The back-office console: dispatch, live board, conflict review, QA review and reports, in the browser.

A Flet web app like the field app (and built from its components), but with no replica: every screen
reads and writes the server's REST API with the signed-in office user's bearer token
(:mod:`console.api`). It never imports the field app's replica or sync services.
"""
