-- tests/store-fixtures/v5.sql -- a database at schema version 5 with data
-- in every table of that version: v4.sql's statements followed by the
-- statements of migration 5 (remote provenance columns, remote consents)
-- as that version ran them, so the file it makes is what version 5 made
-- of a version-4 database.  Message 3 is still 'streaming', as a process
-- killed while writing it left it.
-- Never edit: it stands for real databases written by that version.
-- tests/test-store.c and tests/test-store-measure.c upgrade it.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
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
INSERT INTO advisory_acks VALUES(1,'1','bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb','meditron-7b.Q4_K_M.gguf','Q4_K_M','aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','alice',1763990000000,'tui');
CREATE TABLE settings (
	key		TEXT PRIMARY KEY,
	value		TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO settings VALUES('last_model','/models/meditron-7b.Q4_K_M.gguf');
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
INSERT INTO models VALUES('/models/meditron-7b.Q4_K_M.gguf',4081004224,1700000000123456789,'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','meditron-7b','Q4_K_M','{"n_params":6738415616}',1764000000000);
CREATE TABLE IF NOT EXISTS "conversations" (
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
INSERT INTO conversations VALUES(1,'ba2264a2a27a6ea448b7327e3b20a8e9','Dose of paracetamol for adults',1764000000000,1764000060000,'You are careful.','chatml','meditron-7b.Q4_K_M.gguf','aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','Q4_K_M','{"temp":0.7,"top_k":40}',0,2);
INSERT INTO conversations VALUES(2,'c45230274df0fce9f2252054f0e1b098','Übelkeit nach der Narkose',1764000100000,1764000200000,NULL,NULL,NULL,NULL,NULL,NULL,1,5);
INSERT INTO conversations VALUES(3,'51a315ff6a1292d62f930b34caba6596','',1764000300000,1764000300000,NULL,NULL,NULL,NULL,NULL,NULL,0,NULL);
CREATE TABLE IF NOT EXISTS "messages" (
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
INSERT INTO messages VALUES(1,1,NULL,'user','What is the usual dose of paracetamol for adults?',1764000000000,1764000000000,'complete',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,0,NULL,NULL);
INSERT INTO messages VALUES(2,1,1,'assistant','Usually 500 mg to 1 g every 4 to 6 hours, at most 4 g a day.',1764000010000,1764000020000,'complete',NULL,NULL,'meditron-7b.Q4_K_M.gguf','Q4_K_M','aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','chatml','{"temp":0.7}',-8446744073709551616,21,30,120.5,9.25,0,NULL,1);
INSERT INTO messages VALUES(3,1,1,'assistant','The maximum is 4 grams per day',1764000050000,1764000060000,'streaming',NULL,NULL,'meditron-7b.Q4_K_M.gguf','Q4_K_M','aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','chatml','{"temp":0.7}',42,21,8,110.0,9.0,1,'[7]',1);
INSERT INTO messages VALUES(4,2,NULL,'user','Was hilft gegen Übelkeit nach der Narkose? Ζάλη και ναυτία',1764000100000,1764000100000,'complete',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,0,NULL,NULL);
INSERT INTO messages VALUES(5,2,4,'assistant','',1764000200000,1764000200000,'error','out of memory loading the model',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,0,NULL,NULL);
CREATE TABLE system_texts (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	text		TEXT NOT NULL UNIQUE CHECK (text != '')
);
INSERT INTO system_texts VALUES(1,'You are careful.');
CREATE INDEX advisory_acks_by_key ON advisory_acks
    (advisory_version, advisory_sha256, model_sha256);
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

CREATE INDEX conversations_by_updated ON conversations (archived, updated);
CREATE INDEX messages_by_conv ON messages (conv_id, id);
CREATE INDEX messages_by_parent ON messages (parent_id);
CREATE INDEX messages_streaming ON messages (status)
    WHERE status = 'streaming';
-- Migration 5.
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
COMMIT;
PRAGMA application_id = 1296319304;
PRAGMA user_version = 5;
