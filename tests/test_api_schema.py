"""Property-based testing of the JSON API with schemathesis: every operation of the OpenAPI
document, as a real server (waitress on loopback) serves it, gets generated requests; no answer is
a server error, and every answer's status, content type and body are the ones the document gives.

Officials' operations get an admin's bearer token, the kiosk agents' a device token, the public
ones nothing. Bounded and reproducible: a fixed number of examples per operation, derandomized,
no example database.
"""

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import bearer, make_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failing example is reported as is
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def credentials(operation, official, device):
    """The headers an operation's callers send, from the security the document gives it."""
    security = operation.definition.raw.get("security", [])
    if {"session": []} in security:
        return bearer(official)
    if security:
        return bearer(device)
    return {}


def shortened_long_poll(case):
    """The kiosk poll waits up to ``wait`` seconds for work: 25 examples of that would take
    minutes, so the examples wait not at all (tests/test_agent.py covers waiting)."""
    if isinstance(case.body, dict) and "wait" in case.body:
        case.body["wait"] = 0


def check_operation(operation, server, headers, mode):
    """Send the operation's examples (the first failing one raises); returns how many were sent."""
    sent = []

    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=mode))
    def examples(case):
        shortened_long_poll(case)
        sent.append(case.call_and_validate(base_url=server, headers=headers, checks=CHECKS, timeout=30).status_code)

    try:
        examples()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # Nothing of the operation can be made invalid (it takes no input): no negative examples.
    return len(sent)


def test_every_operation_answers_as_documented(server, balai, kiosk):
    schema = schemathesis.openapi.from_url(f"{server}/api/v1/openapi.json", timeout=10)
    official, device = make_token(balai, "admin"), kiosk[1]
    failures, sent = [], {}
    for result in schema.get_all_operations():
        operation = result.ok()
        headers = credentials(operation, official, device)
        try:
            for mode in GenerationMode:
                sent[operation.label, mode.value] = check_operation(operation, server, headers, mode)
        except (Exception, FailureGroup) as exc:  # reported with every other failing operation, not alone
            failures.append(f"{operation.label}:\n{exc}")
    assert not failures, "\n\n".join(failures)
    positive = {label: count for (label, mode), count in sent.items() if mode == GenerationMode.POSITIVE.value}
    assert len(positive) >= 20 and all(positive.values()), sent
