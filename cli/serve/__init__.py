"""`metrics serve`: the catalog and its numbers over HTTP (and MCP), for tools and people.

- :mod:`.service`: the protocol-free core every front end calls (:class:`~.service.Service`);
- :mod:`.request`: the request model, checked once for every front end;
- :mod:`.access`: bearer tokens and what each may read;
- :mod:`.catalog`: the definitions, reloaded when their files change;
- :mod:`.pool`: connections (a bounded pool) and the result cache;
- :mod:`.errors`, :mod:`.encode`: errors as codes and messages, answers as bytes;
- :mod:`.http`, :mod:`.openapi`: the Starlette app and its OpenAPI description.

Starlette and uvicorn are imported by :mod:`.http` and the command only
(``pip install 'sales-metrics[serve]'``).
"""
