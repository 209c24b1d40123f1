"""Schemathesis against the example API: no 500, and every answer matches the document.

Schemathesis generates requests from /openapi.json (valid ones and invalid
ones) and checks each response: no server error, a documented status code,
content type and body schema, invalid input refused with a 4xx. The run is
short here; ``ASGIWEB_SCHEMATHESIS_EXAMPLES=500`` makes it thorough.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "openapi_app.py"
EXAMPLES = int(os.environ.get("ASGIWEB_SCHEMATHESIS_EXAMPLES", "25"))


def example_app() -> object:
    spec = importlib.util.spec_from_file_location("schemathesis_openapi_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.create_app()


schema = schemathesis.openapi.from_asgi("/openapi.json", example_app())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_example_api_conforms_to_its_document(case: schemathesis.Case) -> None:
    case.call_and_validate()
