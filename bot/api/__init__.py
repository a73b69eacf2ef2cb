"""The HTTP API: newsrooms push briefs to the library, which publishes them everywhere."""

from bot.api._app import OPENAPI_URL, create_api
from bot.api._server import ApiServer, serving

__all__ = ["OPENAPI_URL", "ApiServer", "create_api", "serving"]
