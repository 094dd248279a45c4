"""Avatars of contacts, agents and inboxes: uploads, downloads from a URL, and never-expiring URLs."""
