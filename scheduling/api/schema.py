"""Additions to the generated OpenAPI schema."""

_ERROR = {
    "type": "object",
    "description": "What was wrong; for bad parameters, a list of messages per name.",
    "additionalProperties": True,
    "properties": {"detail": {"type": "string"}},
}

_ERRORS = {
    "400": "A query parameter is not valid.",
    "401": "No credentials, or credentials that are not valid.",
    "404": "No such object in your accounts, or no such page of results.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
}


def add_error_responses(result, generator, request, public):
    """Document the error answers every operation of the read API can give."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in _ERRORS.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Error"}
                            }
                        },
                    },
                )
    return result
