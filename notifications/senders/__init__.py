"""Senders behind one interface (``base.Sender``): the file outbox, SendGrid."""
