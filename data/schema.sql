-- schema.sql -- the conversation store's schema as numbered migrations.
--
-- Each section below, from one "-- @migration N" line to the next, takes
-- a database from schema version N-1 to N and ends by setting
-- PRAGMA user_version = N.  src/store/store-open.c runs each section in
-- its own IMMEDIATE transaction, after copying an existing database
-- aside.
-- NEVER edit a section that has been released: add a new one.  The
-- tests keep a database of every earlier version (tests/store-fixtures/).
--
-- Times are UTC milliseconds since 1970.  Ids are rowids.

-- @migration 1
-- Conversations, messages with provenance, acknowledgements, settings.
CREATE TABLE conversations (
	id		INTEGER PRIMARY KEY,
	title		TEXT NOT NULL DEFAULT '',
	created		INTEGER NOT NULL,
	updated		INTEGER NOT NULL,
	system		TEXT,
	template	TEXT,
	model_file	TEXT,
	model_sha256	TEXT,
	model_quant	TEXT,
	params_json	TEXT,
	archived	INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1))
);
CREATE INDEX conversations_by_updated ON conversations (archived, updated);

CREATE TABLE messages (
	id		INTEGER PRIMARY KEY,
	conv_id		INTEGER NOT NULL
			    REFERENCES conversations (id) ON DELETE CASCADE,
	parent_id	INTEGER REFERENCES messages (id) ON DELETE CASCADE,
	role		TEXT NOT NULL
			    CHECK (role IN ('system', 'user', 'assistant')),
	content		TEXT NOT NULL DEFAULT '',
	created		INTEGER NOT NULL,
	updated		INTEGER NOT NULL,
	status		TEXT NOT NULL DEFAULT 'complete'
			    CHECK (status IN ('complete', 'streaming',
			    'interrupted', 'cancelled', 'error')),
	error		TEXT,
	writer_pid	INTEGER,
	-- provenance of assistant answers
	model_file	TEXT,
	model_quant	TEXT,
	model_sha256	TEXT,
	template	TEXT,
	params_json	TEXT,
	seed		INTEGER,	-- uint64 stored as its int64 bit pattern
	n_prompt	INTEGER,
	n_gen		INTEGER,
	prefill_tps	REAL,
	decode_tps	REAL,
	trimmed		INTEGER NOT NULL DEFAULT 0 CHECK (trimmed IN (0, 1)),
	dropped_json	TEXT
);
CREATE INDEX messages_by_conv ON messages (conv_id, id);
CREATE INDEX messages_by_parent ON messages (parent_id);
CREATE INDEX messages_streaming ON messages (status)
    WHERE status = 'streaming';

CREATE TABLE advisory_acks (
	id		INTEGER PRIMARY KEY,
	advisory_version TEXT NOT NULL,
	advisory_sha256	TEXT NOT NULL,
	model_file	TEXT NOT NULL,
	model_quant	TEXT,
	model_sha256	TEXT NOT NULL,
	os_user		TEXT NOT NULL,
	time		INTEGER NOT NULL,
	method		TEXT NOT NULL
);
CREATE INDEX advisory_acks_by_key ON advisory_acks
    (advisory_version, advisory_sha256, model_sha256);

CREATE TABLE settings (
	key		TEXT PRIMARY KEY,
	value		TEXT NOT NULL
) WITHOUT ROWID;

PRAGMA user_version = 1;

-- @migration 2
-- The model catalog for the model menu (sha256 computed lazily and kept
-- while size and mtime do not change), and the alternative shown for
-- each conversation (regenerate / edit keep the old messages).
CREATE TABLE models (
	path		TEXT PRIMARY KEY,
	size		INTEGER NOT NULL,
	mtime_ns	INTEGER NOT NULL,
	sha256		TEXT,
	name		TEXT,
	quant		TEXT,
	summary_json	TEXT,
	last_used	INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE conversations ADD COLUMN current_leaf INTEGER
    REFERENCES messages (id) ON DELETE SET NULL;
UPDATE conversations SET current_leaf =
    (SELECT max(id) FROM messages WHERE conv_id = conversations.id);

PRAGMA user_version = 2;

-- @migration 3
-- Full-text search over message contents and conversation titles.  The
-- FTS tables index the base tables' text (external content) and are
-- kept in step by triggers; remove_diacritics makes "uber" find "über".
CREATE VIRTUAL TABLE messages_fts USING fts5 (content,
    content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE conversations_fts USING fts5 (title,
    content = 'conversations', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts (rowid, content)
	    VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, content)
	    VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, content)
	    VALUES ('delete', old.id, old.content);
	INSERT INTO messages_fts (rowid, content)
	    VALUES (new.id, new.content);
END;

CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
	INSERT INTO conversations_fts (rowid, title)
	    VALUES (new.id, new.title);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
	INSERT INTO conversations_fts (conversations_fts, rowid, title)
	    VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title
    ON conversations BEGIN
	INSERT INTO conversations_fts (conversations_fts, rowid, title)
	    VALUES ('delete', old.id, old.title);
	INSERT INTO conversations_fts (rowid, title)
	    VALUES (new.id, new.title);
END;

INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');

PRAGMA user_version = 3;

-- @migration 4
-- Mark the file as medchat's (src/store/store-int.h STORE_APPLICATION_ID,
-- "MDCH"): store_open refuses a file with another application's id, or
-- with no id and another application's tables, before changing a byte.
PRAGMA application_id = 1296319304;

-- Ids are never reused: conversations and messages are rebuilt with
-- AUTOINCREMENT (sqlite_sequence keeps the highest id ever given, so a
-- deleted conversation's id never names another one).  Every row keeps
-- its id; the indexes and the full-text triggers are made again and the
-- index rebuilt.  store-open.c runs migrations with foreign keys off, so
-- dropping the old tables deletes nothing through ON DELETE CASCADE.
-- Each conversation gets a uid, a random 128-bit hex identifier that
-- exports carry and imports keep, so the same conversation imported
-- twice is recognised.
-- Each answer records the system message it was generated under: the
-- texts are kept once each in system_texts and an assistant message
-- points at its text (system_id NULL: no system message).  Existing
-- answers get their conversation's system message, the only one known.
CREATE TABLE conversations_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	uid		TEXT NOT NULL UNIQUE
			    DEFAULT (lower(hex(randomblob(16)))),
	title		TEXT NOT NULL DEFAULT '',
	created		INTEGER NOT NULL,
	updated		INTEGER NOT NULL,
	system		TEXT,
	template	TEXT,
	model_file	TEXT,
	model_sha256	TEXT,
	model_quant	TEXT,
	params_json	TEXT,
	archived	INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
	current_leaf	INTEGER REFERENCES messages (id) ON DELETE SET NULL
);
INSERT INTO conversations_new (id, title, created, updated, system,
    template, model_file, model_sha256, model_quant, params_json,
    archived, current_leaf)
    SELECT id, title, created, updated, system, template, model_file,
    model_sha256, model_quant, params_json, archived, current_leaf
    FROM conversations;

CREATE TABLE messages_new (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	conv_id		INTEGER NOT NULL
			    REFERENCES conversations (id) ON DELETE CASCADE,
	parent_id	INTEGER REFERENCES messages (id) ON DELETE CASCADE,
	role		TEXT NOT NULL
			    CHECK (role IN ('system', 'user', 'assistant')),
	content		TEXT NOT NULL DEFAULT '',
	created		INTEGER NOT NULL,
	updated		INTEGER NOT NULL,
	status		TEXT NOT NULL DEFAULT 'complete'
			    CHECK (status IN ('complete', 'streaming',
			    'interrupted', 'cancelled', 'error')),
	error		TEXT,
	writer_pid	INTEGER,
	model_file	TEXT,
	model_quant	TEXT,
	model_sha256	TEXT,
	template	TEXT,
	params_json	TEXT,
	seed		INTEGER,
	n_prompt	INTEGER,
	n_gen		INTEGER,
	prefill_tps	REAL,
	decode_tps	REAL,
	trimmed		INTEGER NOT NULL DEFAULT 0 CHECK (trimmed IN (0, 1)),
	dropped_json	TEXT,
	system_id	INTEGER REFERENCES system_texts (id)
);
INSERT INTO messages_new (id, conv_id, parent_id, role, content, created,
    updated, status, error, writer_pid, model_file, model_quant,
    model_sha256, template, params_json, seed, n_prompt, n_gen,
    prefill_tps, decode_tps, trimmed, dropped_json)
    SELECT id, conv_id, parent_id, role, content,
    created, updated, status, error, writer_pid, model_file, model_quant,
    model_sha256, template, params_json, seed, n_prompt, n_gen,
    prefill_tps, decode_tps, trimmed, dropped_json FROM messages;

CREATE TABLE system_texts (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	text		TEXT NOT NULL UNIQUE CHECK (text != '')
);
INSERT OR IGNORE INTO system_texts (text)
    SELECT system FROM conversations_new c WHERE system IS NOT NULL AND
    system != '' AND EXISTS (SELECT 1 FROM messages_new m WHERE
    m.conv_id = c.id AND m.role = 'assistant') ORDER BY id;
UPDATE messages_new SET system_id = (SELECT st.id FROM system_texts st
    JOIN conversations_new c ON c.system = st.text
    WHERE c.id = messages_new.conv_id) WHERE role = 'assistant';

DROP TABLE messages;
DROP TABLE conversations;
ALTER TABLE conversations_new RENAME TO conversations;
ALTER TABLE messages_new RENAME TO messages;

CREATE INDEX conversations_by_updated ON conversations (archived, updated);
CREATE INDEX messages_by_conv ON messages (conv_id, id);
CREATE INDEX messages_by_parent ON messages (parent_id);
CREATE INDEX messages_streaming ON messages (status)
    WHERE status = 'streaming';

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts (rowid, content)
	    VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, content)
	    VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, content)
	    VALUES ('delete', old.id, old.content);
	INSERT INTO messages_fts (rowid, content)
	    VALUES (new.id, new.content);
END;
CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
	INSERT INTO conversations_fts (rowid, title)
	    VALUES (new.id, new.title);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
	INSERT INTO conversations_fts (conversations_fts, rowid, title)
	    VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title
    ON conversations BEGIN
	INSERT INTO conversations_fts (conversations_fts, rowid, title)
	    VALUES ('delete', old.id, old.title);
	INSERT INTO conversations_fts (rowid, title)
	    VALUES (new.id, new.title);
END;
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');

PRAGMA user_version = 4;

-- @migration 5
-- Remote engines: answers from a model that an OpenAI-compatible server
-- (llama-server, vLLM, Ollama) serves.  Such an answer's provenance names
-- the endpoint (its name in the settings file, NULL when given as a URL),
-- its base URL (never with credentials), the model id asked for, what
-- the server reported (model, system_fingerprint) and the sampling
-- parameters as they were sent (request_json); its template column holds
-- the built-in template of raw mode or 'server template'.  A local
-- answer leaves them NULL.
ALTER TABLE messages ADD COLUMN endpoint TEXT;
ALTER TABLE messages ADD COLUMN endpoint_url TEXT;
ALTER TABLE messages ADD COLUMN remote_model TEXT;
ALTER TABLE messages ADD COLUMN server_model TEXT;
ALTER TABLE messages ADD COLUMN fingerprint TEXT;
ALTER TABLE messages ADD COLUMN request_json TEXT;

-- The advisory is acknowledged per remote model as per model file: the
-- row's model_sha256 holds a key made from the endpoint's URL and the
-- model id (store_remote_key), which no file's SHA-256 can equal, and
-- these two columns say what it stands for.
ALTER TABLE advisory_acks ADD COLUMN endpoint_url TEXT;
ALTER TABLE advisory_acks ADD COLUMN remote_model TEXT;

-- The servers the user agreed to send conversations to: one row per
-- agreement, for an origin (scheme://host:port, lowercase, the port
-- always given), with the URL it was given for, who, when and how
-- ('cli': asked on the terminal by medchat ask, 'tui': the chat's
-- screen, 'flag': --accept-remote).
CREATE TABLE remote_consents (
	id		INTEGER PRIMARY KEY,
	origin		TEXT NOT NULL,
	url		TEXT NOT NULL,
	os_user		TEXT NOT NULL,
	time		INTEGER NOT NULL,
	method		TEXT NOT NULL CHECK (method IN ('cli', 'tui', 'flag'))
);
CREATE INDEX remote_consents_by_origin ON remote_consents (origin);

PRAGMA user_version = 5;

-- @migration 6
-- Measurements of model files (medchat eval, src/app/eval.c): one row per
-- run, keyed by the measured file's SHA-256 so a file renamed or copied
-- keeps its numbers.  kind 'ppl' (perplexity of a text), 'kld' (KL
-- divergence from a base file over the same tokens; ppl is the file's
-- own) or 'speed' (a short prompt and answer on random tokens: n_ctx is
-- then the prompt's tokens and n_chunks the generated ones).  text_sha256
-- is the SHA-256 of the text's bytes ('' for speed); base_sha256 the base
-- file's ('' unless kld).  complete 0 is a partial result (stopped by
-- the user); version is the medchat version that measured.
CREATE TABLE measurements (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	model_sha256	TEXT NOT NULL,
	kind		TEXT NOT NULL CHECK (kind IN ('ppl', 'kld', 'speed')),
	model_name	TEXT,
	text_name	TEXT,
	text_sha256	TEXT NOT NULL DEFAULT '',
	n_ctx		INTEGER NOT NULL DEFAULT 0,
	n_chunks	INTEGER NOT NULL DEFAULT 0,
	n_tokens	INTEGER NOT NULL DEFAULT 0,
	base_sha256	TEXT NOT NULL DEFAULT '',
	base_name	TEXT,
	ppl		REAL NOT NULL DEFAULT 0,
	ppl_err		REAL NOT NULL DEFAULT 0,
	kld_mean	REAL NOT NULL DEFAULT 0,
	kld_p99		REAL NOT NULL DEFAULT 0,
	top_agree	REAL NOT NULL DEFAULT 0,
	ppl_ratio	REAL NOT NULL DEFAULT 0,
	prefill_tps	REAL NOT NULL DEFAULT 0,
	decode_tps	REAL NOT NULL DEFAULT 0,
	threads		INTEGER NOT NULL DEFAULT 0,
	kernel		TEXT,
	complete	INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1)),
	created		INTEGER NOT NULL,
	version		TEXT
);
CREATE INDEX measurements_by_model ON measurements (model_sha256, kind);
-- The speeds of a file from real use (store_model_speed) are the means
-- over its answers' provenance: found by the file's hash.
CREATE INDEX messages_by_model ON messages (model_sha256)
    WHERE role = 'assistant';

PRAGMA user_version = 6;
