"""A bare Starlette endpoint returning a fixed JSON body: the ceiling the GraphQL stack is compared with."""
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(os.environ["BARE_BODY_FILE"]).read_bytes()


async def storefront(_request):
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/graphql", storefront, methods=["POST"])])
