"""What every endpoint under /api/v1/ shares: routing, pagination, filters, content
negotiation, the error shape (one exception handler for every error, GitHub's
included) and the OpenAPI post-processing. No models; apps import it, it imports
only the GitHub client's errors."""
