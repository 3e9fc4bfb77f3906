"""The posted form as a dependency, so that an endpoint doing database work can be a plain `def`
(run in the thread pool, off the event loop) and still read the form, which is read asynchronously.

Starlette keeps the parsed form on the request, so the CSRF check and the endpoint share one parse.
"""
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData


async def read_form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(read_form)]
