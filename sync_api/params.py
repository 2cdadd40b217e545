"""Path parameters shared by the controllers, bounded so no value can overflow a database column."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

AUTH: list[dict[str, list[str]]] = [{"BearerToken": []}]
"""OpenAPI security requirement of routes that need a signed-in user."""

ProjectId = Annotated[int, Parameter(ge=1, le=2**31 - 1, description="Project id.")]
UserId = Annotated[int, Parameter(ge=1, le=2**31 - 1, description="User id.")]
Version = Annotated[int, Parameter(ge=1, le=2**31 - 1, description="Config version (1, 2, …).")]
