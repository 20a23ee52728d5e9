"""The reports: results.json, HTML (static and in a browser), JUnit, Markdown, terminal; hostile input; merging."""
