def strip_optional_trailing_slash(result, generator, request, public):
    """Routes accept ``/configs`` and ``/configs/``; document the canonical, slash-less form."""
    result["paths"] = {(path.rstrip("/") if path != "/" else path): item for path, item in result["paths"].items()}
    return result


# Errors any operation can answer: bad input, no or bad credentials, not staff,
# no such object or page, a body of the wrong media type.
COMMON_ERRORS = {
    "400": "Invalid input.",
    "401": "Authentication credentials were not provided or are invalid.",
    "403": "Not staff.",
    "404": "No such object, or no such page.",
    "415": "Unsupported media type.",
}


def add_error_responses(result, generator, request, public):
    """Document the common error answers (JSON ``{"detail": ...}``) on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if "Error" not in schemas:
        return result
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result["paths"].values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in COMMON_ERRORS.items():
                if status == "415" and "requestBody" not in operation:
                    continue
                responses.setdefault(status, {"description": description, "content": reference})
    return result
