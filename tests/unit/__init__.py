"""Units: config, SSE reader, redactor, HTTP client, retries, schemas, stream assembly, repeat and budget."""
