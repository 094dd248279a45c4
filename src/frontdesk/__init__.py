"""Frontdesk: a customer-support inbox that speaks the Chatwoot HTTP API."""

__version__ = "0.1.0"
