"""The domain: queue, announcements, users, the village. Plain Python; never imports Flask."""
