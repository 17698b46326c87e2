"""cxlib: the library behind the CX playbook kit.

Notebooks import modules by name (``from cxlib import voc, plots``); nothing heavy is
imported here.
"""

__version__ = "0.1.0"
