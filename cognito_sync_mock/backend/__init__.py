"""The domain: Cognito Sync for one account and region, in plain Python.

``Backend`` holds the operations; beside it the models, tokens, clock and the sync
trigger's event logic. Nothing here knows HTTP, botocore or moto.
"""

from .backend import Backend, Limits

__all__ = ["Backend", "Limits"]
