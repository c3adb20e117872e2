"""Read models for pages: the case file, one task, and the case list, each checked for who may read it."""
