"""Durable work (see queue.py and runner.py)."""
