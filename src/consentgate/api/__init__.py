"""The HTTP service (an edge: it parses, calls the library, renders — no SQL, no tables).

Layout:

- ``app.py`` — ``create_app(runtime)``: the FastAPI app over the composition root, its
  lifespan (starts and stops the runtime's threads), middleware, error handlers, routers.
- ``routes/`` — one router per noun (``data``, ``oauth``, ``me``, ``apps``, ``incidents``,
  ``ledger``, ``transparency``, ``receipts``, ``health``); ``routes/__init__.py`` lists
  them in matching order, the hot data router first.
- ``models/`` — the response models, ``...Public`` per noun (the OpenAPI is the contract).
- ``deps.py`` — ``Annotated`` dependencies: the runtime, the caller (app, subject,
  operator allowed an action), strict query strings.
- ``paging.py`` — ``?cursor=`` / ``limit``, sealed cursors.
- ``errors.py`` — the one error envelope and the exception → envelope mapping.
- ``middleware.py`` — request id, the 1 MiB body cap, one log line per request.
"""

from consentgate.api.app import create_app

__all__ = ["create_app"]
