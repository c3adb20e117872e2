"""The audit trail: who read and changed what, appended without a lock and sealed into a hash chain."""
