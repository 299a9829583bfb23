"""One module per resource: its provider (check/diff/create/read/update/delete) and its Resource class."""
