-- Accounts and forwards (the accounts issue), and inbox listings by account.

CREATE TABLE accounts (login text COLLATE "C" PRIMARY KEY, token_hash text NOT NULL, doc jsonb NOT NULL);
CREATE INDEX accounts_token ON accounts (token_hash);

CREATE SEQUENCE forwards_seq MINVALUE 0 START 0;
CREATE TABLE forwards (
  seq     bigint PRIMARY KEY DEFAULT nextval('forwards_seq'),
  id      text GENERATED ALWAYS AS ('fwd-' || seq) STORED UNIQUE,
  account text NOT NULL,
  status  text NOT NULL,
  ref     text NOT NULL,
  -- nextAttemptAt, else createdAt, as the ISO text the dispatcher orders by (compareDue).
  due     text COLLATE "C" NOT NULL,
  doc     jsonb NOT NULL
);
CREATE INDEX forwards_pending ON forwards (due, seq) WHERE status = 'pending';
CREATE INDEX forwards_account ON forwards (account, seq);
CREATE INDEX forwards_ref ON forwards (ref);

CREATE INDEX inbox_account ON inbox ((doc->>'account'), seq);
