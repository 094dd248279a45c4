"""Files on messages: streaming uploads into storage, Chatwoot's attachment payloads, signed file URLs."""
