-- The modem pool, delivery reports and several hosts (issues 14, 16, 17).

-- deliveryParts: `modem|mr` of every part sent with TP-SRR (delivery-refs.ts deliveryKeys), written with the row.
ALTER TABLE jobs ADD COLUMN delivery_keys text[] NOT NULL DEFAULT '{}';
CREATE INDEX jobs_delivery_keys ON jobs USING gin (delivery_keys);
-- claimNext with pinnedFirst, queuedByModem, the pinned fallback: queued jobs by their modem.
CREATE INDEX jobs_queued_modem ON jobs (modem, priority_rank, seq) WHERE state = 'queued';

-- Status reports no part matched; the newest are kept, `documents.unmatched-total` counts all.
CREATE TABLE unmatched_reports (seq bigserial PRIMARY KEY, hash text NOT NULL UNIQUE, doc jsonb NOT NULL);

-- One row per server sharing the database: its status snapshot (modems), written with a heartbeat
-- on the database's clock (hosts' clocks may differ; ages are computed there too).
CREATE TABLE hosts (
  host         text COLLATE "C" PRIMARY KEY,
  started_at   timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  doc          jsonb NOT NULL
);
