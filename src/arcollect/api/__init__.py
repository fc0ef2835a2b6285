"""The REST API (/api/v1): thin FastAPI routers over the services."""
