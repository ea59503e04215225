"""The query language and search text: pure, shared by the app, CLI, views and server."""
