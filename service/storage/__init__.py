"""Storage: engines and transactions, tables, SQL, group commit, WAL checkpoints, migrations, the reader cache."""
