"""One-line entry points to the interactive explorers: ``explore.voc(ctx)``.

>>> from cxlib import explore
>>> sorted(explore.__all__)
['codeframe', 'journey', 'simulator', 'voc']
"""

from cxlib.widgets import codeframe, journey, simulator, voc

__all__ = ["codeframe", "journey", "simulator", "voc"]
