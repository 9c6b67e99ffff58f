"""The domain: Cognito Sync for one account and region, in plain Python.

``Backend`` holds the operations; beside it the models, tokens, paging, limits, clock,
the sync trigger's event logic, the mock's own API (``control``) and the table of
``operations``. Nothing here knows HTTP, botocore, moto or how it is shown.
"""

from .backend import Backend
from .limits import Limits

__all__ = ["Backend", "Limits"]
