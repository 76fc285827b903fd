"""What the two web apps (``levee app``, ``levee console``) share as web programs: the guard at their
door (:mod:`mobile.web.guard`) and how they are served and stopped (:mod:`mobile.web.serving`)."""
