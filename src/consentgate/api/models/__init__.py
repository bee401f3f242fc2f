"""The response models of the HTTP API, one module per noun (``...Public``,
full-stack-fastapi-template style): the OpenAPI is the contract."""
