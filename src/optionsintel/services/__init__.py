"""Use cases: the commands and read models behind the API, the CLI and the apps.

Every command checks the actor's permission (:func:`authz.authorise`) and writes its
audit record in the same transaction as the change (:func:`audit.record`), so a change
without its record, or a record of a change that did not happen, cannot be stored.
Entry points (``api``, ``cli``) call these functions and nothing below them.
"""
