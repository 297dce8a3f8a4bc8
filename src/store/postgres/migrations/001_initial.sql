-- The Store on PostgreSQL: each record is its JSON document (`doc`, without the id) plus the
-- columns the queries filter and order on, written from the document by PostgresStore.

CREATE SEQUENCE inbox_seq MINVALUE 0 START 0;
CREATE TABLE inbox (
  seq         bigint PRIMARY KEY DEFAULT nextval('inbox_seq'),
  id          text GENERATED ALWAYS AS ('in-' || seq) STORED UNIQUE,
  dedup_key   text NOT NULL UNIQUE,
  from_addr   text NOT NULL,
  status      text NOT NULL,
  received_at timestamptz NOT NULL,
  doc         jsonb NOT NULL
);
CREATE INDEX inbox_from ON inbox (from_addr, seq);
CREATE INDEX inbox_status ON inbox (status, seq);

CREATE TABLE partials (key text PRIMARY KEY, doc jsonb NOT NULL);
CREATE TABLE clients (phone text COLLATE "C" PRIMARY KEY, doc jsonb NOT NULL);
CREATE TABLE self_service (phone text PRIMARY KEY, doc jsonb NOT NULL);

CREATE SEQUENCE jobs_seq MINVALUE 0 START 0;
CREATE TABLE jobs (
  seq             bigint PRIMARY KEY DEFAULT nextval('jobs_seq'),
  id              text GENERATED ALWAYS AS ('job-' || seq) STORED UNIQUE,
  state           text NOT NULL,
  priority_rank   smallint NOT NULL,
  next_attempt_at timestamptz NOT NULL,
  modem           text,
  to_addr         text NOT NULL,
  account         text,
  campaign_id     text,
  created_at      timestamptz NOT NULL,
  sent_at         timestamptz,
  lease_owner     text,
  lease_until     timestamptz,
  doc             jsonb NOT NULL
);
-- claimNext: queued jobs by priority, FIFO.
CREATE INDEX jobs_claim ON jobs (priority_rank, seq) WHERE state = 'queued';
CREATE INDEX jobs_sending ON jobs (seq) WHERE state = 'sending';
CREATE INDEX jobs_state ON jobs (state, seq);
CREATE INDEX jobs_campaign ON jobs (campaign_id, state);
CREATE INDEX jobs_to ON jobs (to_addr, seq);
-- lastSentTo: the last-sender route asks per SMS.
CREATE INDEX jobs_last_sent ON jobs (to_addr, sent_at DESC, seq DESC) WHERE state = 'sent' AND account IS NOT NULL;

CREATE TABLE campaigns (id text COLLATE "C" PRIMARY KEY, created_at text COLLATE "C" NOT NULL, doc jsonb NOT NULL);
CREATE TABLE opt_outs (phone text COLLATE "C" PRIMARY KEY);
-- Small documents of the server (status snapshot, seen parts) and counters (concat reference).
CREATE TABLE documents (name text PRIMARY KEY, doc jsonb NOT NULL);
