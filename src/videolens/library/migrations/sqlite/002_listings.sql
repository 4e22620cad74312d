-- What a listing of sessions or streams shows of each video: the store's own entry for it, as
-- JSON (a session's ``SessionListing``, a stream's ``StreamDocument``), so listings are read
-- from the index without opening the video's folder. Filled from the stores on first use
-- (``library.reindex.backfill``).
ALTER TABLE library_videos ADD COLUMN listing TEXT NOT NULL DEFAULT '';
CREATE INDEX library_videos_status ON library_videos (status, created_at);
