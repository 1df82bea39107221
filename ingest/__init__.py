"""Ingest: the landing-zone feeds of the data contract, read, checked and loaded into ``raw``.

``feeds`` (the contract's feed specs) is built from ``spec``, ``names`` and ``rules`` (the row
rule kit) with the code lists of ``reference`` (the seeds); ``landing`` finds a feed's files,
``files`` reads one, ``prepare`` checks it off the writing thread, ``load`` writes a feed in
transactions, ``ledger`` keeps the audit trail, ``raw_tables`` owns the raw tables' DDL.
"""
