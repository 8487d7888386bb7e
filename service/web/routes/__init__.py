"""HTTP handlers, grouped by audience: article pages and readers, moderators, operators."""
