"""What the two web apps (``levee app``, ``levee console``) share as web programs: the guard at their
door (:mod:`ui.web.guard`) and how they are served and stopped (:mod:`ui.web.serving`)."""
