"""Telling people: notification rows, the e-mail outbox, and the SMTP transport used after commit."""
