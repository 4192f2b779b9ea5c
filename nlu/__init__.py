"""gridbot NLU: normalise → tokenize → features → classify, plus emergencies and entities.

Use `nlu.api.load_model()`; nothing heavy is loaded at import time.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
