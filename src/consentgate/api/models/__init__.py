"""The response models of the HTTP API, one module per router (``models/apps.py`` for
``routes/apps.py`` ...), named ``...Public`` as in full-stack-fastapi-template: what a
caller sees, never what is stored (no secret hashes, no platform ids for apps).

Every model forbids extra keys (``Public``), so the OpenAPI says ``additionalProperties:
false`` and a body that drifts from its model fails — at response time where FastAPI
validates it, in the schema fuzz test everywhere. The generic paged list is
``api.paging.Page[T]``; the error envelope is ``models/errors.py``. Import from the
modules themselves (this package re-exports nothing, so ``api.paging`` can build on
``models.base`` without a cycle).
"""
