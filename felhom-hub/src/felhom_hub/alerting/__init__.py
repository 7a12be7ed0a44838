"""The dead man's switch and notification dispatch: pure decisions here, SQL in store/, loops in
jobs/."""
