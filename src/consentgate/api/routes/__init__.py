"""The API's routers, one module per noun (each declares the ``...Public`` response model
of every route it serves)."""
