"""Storage: engines and transactions, tables, the SQL of each table group, group commit, WAL checkpoints, migrations,
the reader cache. The SQL modules run in their caller's transaction and never commit."""
