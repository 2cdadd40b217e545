"""Reviews: idempotent submission, revisions, progress and owner exports."""
