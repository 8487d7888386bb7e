"""Use cases (each owns one transaction) and what each audience sees of a comment."""
