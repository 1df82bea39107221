"""Disclosure control (统计法: no respondent identifiable), the one home of every table that
suppresses: the rules and their thresholds (seed ref_disclosure_rules), primary suppression,
secondary suppression that gives each primary cell its protection interval under every published
equation, and the attacker's audit that checks the table about to be published.

- ``disclosure.rules``: the thresholds, read from the seed; the primary rule.
- ``disclosure.declaration``: the ``disclosure:`` mapping of a published table (its cells, value
  columns, published equations and margins), parsed.
- ``disclosure.engine``: primary and secondary suppression of one table (HiGHS through highspy).
- ``disclosure.audit``: the attacker, rebuilt from the published data alone (scipy's HiGHS).
- ``disclosure.warehouse``: reading a mart and its margins from the warehouse, writing
  ``disclosure.<table>`` and ``disclosure.<table>__decisions``, auditing what was written.
"""
