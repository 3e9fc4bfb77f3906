"""The posted form as a dependency, so that an endpoint doing database work can be a plain `def`
(run in the thread pool, off the event loop) and still read the form, which is read asynchronously.

Starlette keeps the parsed form on the request, so the CSRF check and the endpoint share one parse.
Text fields come out normalised (app.core.text): URL-encoded forms were already at the edge
(app.core.edge), multipart forms, which carry files past the edge, are here.
"""
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile

from app.core.edge import RAW_FIELDS
from app.core.text import clean_text


def normalised_form(form: FormData) -> FormData:
    return FormData([(key, value if isinstance(value, UploadFile) or key in RAW_FIELDS else clean_text(value))
                     for key, value in form.multi_items()])


async def read_form(request: Request) -> FormData:
    return normalised_form(await request.form())


Form = Annotated[FormData, Depends(read_form)]
