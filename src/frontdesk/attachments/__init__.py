"""Message attachments: what is known about the stored files they show (dimensions, thumbnails)."""
