"""The SpiffWorkflow boundary: parsing, running, timers, state and the safe expression language.

The only package that imports SpiffWorkflow; it knows nothing of cases, people or the database.
"""
