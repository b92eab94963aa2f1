"""`coderouter-supervisor doctor`: probe each provider with a few small requests and judge the box.

``command`` runs it; ``probe`` sends single requests as the gateway would, ``observe`` runs every
probe for every provider, ``answers`` and ``checks`` judge what came back, ``box`` judges this
machine, ``results`` holds the verdicts and renders them. ``dialects`` holds one probe dialect per
provider kind (``*_dialect``): the bodies its API takes and the readers of its answers.
"""

from __future__ import annotations

from coderouter_supervisor.supervisor.commands.doctor.command import doctor

__all__ = ["doctor"]
