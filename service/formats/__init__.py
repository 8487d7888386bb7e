"""The files of other comment systems, read and written: WordPress WXR, Disqus XML, Isso's SQLite database,
Remark42's backup, and replyguard's own JSON lines. Pure translation to and from `records`: no database, no service
state (the import and export use cases are service/domain/imports.py and exports.py)."""
