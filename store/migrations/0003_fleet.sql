-- ecoscout's PostgreSQL schema, version 3: what a fleet of workers shares
-- to ask each authority what one process would (store/src/pg_fleet.rs).
--
-- Applied once, in a transaction, by store/src/pg_store.rs. Never edit a
-- migration that has been released: add the next file instead. Hosts are
-- `scheme://host:port` keys of the authorities' hosts.

-- The rate of each authority host: when its next request may start. Each
-- request reserves max(next_start, now) in one UPDATE and moves
-- next_start one interval on (GCRA without burst); the worker sleeps
-- until its reserved start.
CREATE TABLE fleet_rate (
    host text PRIMARY KEY,
    next_start timestamptz NOT NULL
);

-- The in-flight slots of each authority host, numbered from 0: a slot
-- is free when its lease has expired. A worker claims a free one (FOR
-- UPDATE SKIP LOCKED) for the time of one request and frees it after; a
-- worker killed mid-request gives its slot back when the lease expires.
CREATE TABLE fleet_slots (
    host text NOT NULL,
    slot integer NOT NULL,
    holder text,
    expires_at timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (host, slot)
);

-- The authorities' definite answers (200, 404, 410) by URL, each until
-- expires_at; expired rows are deleted by the workers. Bodies are bounded
-- by the code (the largest answer verification reads).
CREATE TABLE fleet_answers (
    url text PRIMARY KEY,
    status smallint NOT NULL,
    content_type text,
    final_url text NOT NULL,
    body bytea NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX fleet_answers_expiry ON fleet_answers (expires_at);

-- Who is fetching an answer that is not kept yet: the other askers of the
-- URL wait for its answer instead of fetching it too. A claim is deleted
-- when its fetch is done, or taken over once it has expired (a killed
-- worker's).
CREATE TABLE fleet_fetching (
    url text PRIMARY KEY,
    holder text NOT NULL,
    expires_at timestamptz NOT NULL
);
