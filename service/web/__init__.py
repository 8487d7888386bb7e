"""The HTTP face of the service: routes, the moderator console, request reading, error answers, OpenAPI."""
