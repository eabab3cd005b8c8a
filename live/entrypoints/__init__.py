"""Ways into the live stack: the HTTP API (``http_api`` over the ``service`` facade, with its
schemas, security and order views), the ``serve`` command and the OpenAPI export."""
