"""The HTTP routes, one module per noun (``routes/<noun>.py``), each with its response
models."""
