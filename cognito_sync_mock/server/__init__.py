"""Cognito Sync over HTTP, for clients that are not botocore (AWS CLI, JavaScript SDKs, apps).

The same ``State`` and ``protocol`` as the in-process mock answer every request. The
package splits what the server is: ``app`` (the WSGI application: routing, the closed
control plane, JSON errors), ``control`` (the endpoints under ``/_mock/``), ``lifecycle``
(``CognitoSyncServer``: state, state file, start and stop) and ``host`` (cheroot, the
WSGI server it runs on, imported only when a server starts).
"""

from .app import App, make_app
from .lifecycle import DEFAULT_HOST, MAX_BODY_BYTES, CognitoSyncServer

__all__ = ["DEFAULT_HOST", "MAX_BODY_BYTES", "App", "CognitoSyncServer", "make_app"]
