"""The knowledge base: articles as Markdown with front matter (pure: no store, no UI)."""
