"""Custom schemathesis check for kcli-provider: every 4xx/5xx is problem+json (ERR-001)."""
import json

import schemathesis


@schemathesis.check
def problem_json(ctx, response, case):
    """Every 4xx/5xx answer is application/problem+json with type, title and status (ERR-001, ERR-002)."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(f"{response.status_code} answered with Content-Type {content_type!r}")
    body = json.loads(response.content)
    for member in ("type", "title", "status"):
        if member not in body:
            raise AssertionError(f"problem body lacks {member!r}: {body}")
    if body["status"] != response.status_code:
        raise AssertionError(f"problem status {body['status']} != HTTP {response.status_code}")
    return None
