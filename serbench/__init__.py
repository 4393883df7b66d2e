"""serbench: what each serializer costs on the wire, for your payload shapes.

A plugin imports from `serbench.plugin` (the codec and payload records); everything else is the
command line (`serbench --help`) and the files a run writes. Importing this package loads
nothing else, so a pyperf worker starts without the registries.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
