-- The library index: one row per video, one per moment, and a full-text index over moments.
CREATE TABLE library_videos (
    video_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    duration_s REAL,
    labels TEXT NOT NULL DEFAULT ''
);
CREATE INDEX library_videos_owner ON library_videos (owner, created_at);
CREATE INDEX library_videos_created ON library_videos (created_at);

CREATE TABLE library_moments (
    id INTEGER PRIMARY KEY,
    video_id TEXT NOT NULL REFERENCES library_videos (video_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    position INTEGER NOT NULL,
    at_s REAL NOT NULL,
    end_s REAL,
    happened_at TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    labels TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    speech TEXT NOT NULL DEFAULT '',
    image TEXT,
    -- Words naming the owner, source and video (``library.scope``): filters the index answers.
    scope TEXT NOT NULL DEFAULT '',
    UNIQUE (video_id, kind, position)
);
CREATE INDEX library_moments_at ON library_moments (video_id, at_s);

-- External content: the text lives once, in library_moments; triggers keep the index in step.
CREATE VIRTUAL TABLE library_moments_fts USING fts5 (
    labels, description, text, speech, scope,
    content = 'library_moments', content_rowid = 'id', tokenize = 'porter unicode61'
);
CREATE TRIGGER library_moments_ai AFTER INSERT ON library_moments BEGIN
    INSERT INTO library_moments_fts (rowid, labels, description, text, speech, scope)
    VALUES (new.id, new.labels, new.description, new.text, new.speech, new.scope);
END;
CREATE TRIGGER library_moments_ad AFTER DELETE ON library_moments BEGIN
    INSERT INTO library_moments_fts (library_moments_fts, rowid, labels, description, text, speech, scope)
    VALUES ('delete', old.id, old.labels, old.description, old.text, old.speech, old.scope);
END;
CREATE TRIGGER library_moments_au AFTER UPDATE ON library_moments BEGIN
    INSERT INTO library_moments_fts (library_moments_fts, rowid, labels, description, text, speech, scope)
    VALUES ('delete', old.id, old.labels, old.description, old.text, old.speech, old.scope);
    INSERT INTO library_moments_fts (rowid, labels, description, text, speech, scope)
    VALUES (new.id, new.labels, new.description, new.text, new.speech, new.scope);
END;
