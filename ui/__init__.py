"""The Flet presentation both front ends share: the field app (``mobile.app``) and the office console
(``console``).

- :mod:`ui.components`: building blocks sized for gloved hands (colours, contrast, buttons, fields,
  badges, the signature pad);
- :mod:`ui.logic`: pure presentation rules (SLA clocks, job grouping, conflict explanations, signature
  strokes);
- :mod:`ui.text`: how times, durations and clocks are written (with ``shared.i18n``);
- :mod:`ui.web`: how both web apps are guarded, served and stopped, and their shared command line.

It imports only ``shared``: no replica, no sync, no API client, no state of either app.
"""
