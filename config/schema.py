def strip_optional_trailing_slash(result, generator, request, public):
    """Routes accept ``/configs`` and ``/configs/``; document the canonical, slash-less form."""
    result["paths"] = {
        (path.rstrip("/") if path != "/" else path): item for path, item in result["paths"].items()
    }
    return result
