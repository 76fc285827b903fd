"""The field app as an installable offline web app: Python in the tablet's browser (issue 14).

``build`` makes the static folder (``levee pwa build``); ``device`` is what runs in the browser.
"""
