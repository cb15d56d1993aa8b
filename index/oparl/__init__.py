"""OParl import: an OParl 1.0/1.1 endpoint or a folder dump of its JSON objects → documents.

source.py (endpoint / dump reading) → objects.py (checked objects by id) → mapping.py
(objects → candidate documents with metadata) → content.py (file texts) → importer.py
(one index update); items.py gives ``update_index`` the agenda items the source states, and
state.py keeps what the next import needs.
"""
