-- Searches read the GIN index only: with fastupdate (the default) new entries wait in an
-- unsorted pending list (up to gin_pending_list_limit, 4 MB) that every search scans whole
-- until a vacuum merges it, which made a key's own search several times slower after a bulk
-- load. Each write now updates the index itself; the pending list already there is merged.
ALTER INDEX library_moments_document SET (fastupdate = off);
SELECT gin_clean_pending_list('library_moments_document'::regclass);
