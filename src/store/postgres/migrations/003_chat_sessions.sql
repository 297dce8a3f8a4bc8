-- Web chat sessions and single-use keys (the chat issue).

CREATE TABLE chat_sessions (id text PRIMARY KEY, doc jsonb NOT NULL);
CREATE TABLE once_keys (key text PRIMARY KEY, expires_at timestamptz NOT NULL);
CREATE INDEX once_keys_expiry ON once_keys (expires_at);
