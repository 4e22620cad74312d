-- The library index: one row per video, one per moment, and a GIN full-text index over moments.
CREATE TABLE library_videos (
    video_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    duration_s DOUBLE PRECISION,
    labels TEXT NOT NULL DEFAULT ''
);
CREATE INDEX library_videos_owner ON library_videos (owner, created_at);
CREATE INDEX library_videos_created ON library_videos (created_at);

CREATE TABLE library_moments (
    id BIGSERIAL PRIMARY KEY,
    video_id TEXT NOT NULL REFERENCES library_videos (video_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    at_s DOUBLE PRECISION NOT NULL,
    end_s DOUBLE PRECISION,
    happened_at TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    labels TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    speech TEXT NOT NULL DEFAULT '',
    image TEXT,
    -- Words naming the owner, source and video (``library.scope``): filters the index answers;
    -- weight D, which the ranking weighs 0.
    scope TEXT NOT NULL DEFAULT '',
    document TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english', labels), 'A')
        || setweight(to_tsvector('english', description), 'B')
        || setweight(to_tsvector('english', text || ' ' || speech), 'C')
        || setweight(to_tsvector('simple', scope), 'D')
    ) STORED,
    UNIQUE (video_id, kind, position)
);
CREATE INDEX library_moments_at ON library_moments (video_id, at_s);
CREATE INDEX library_moments_document ON library_moments USING GIN (document);
