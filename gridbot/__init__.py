"""gridbot: city grid management (网格化管理) in chat.

This package is the composition root: settings, the taxonomy, the CLI and demo
data. Keep this module free of heavy imports: `gridbot nlu classify` and
`gridbot route` must start fast.
"""

__version__ = "0.1.0"
