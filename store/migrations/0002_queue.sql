-- ecoscout's PostgreSQL schema, version 2: distributed runs.
--
-- A run crawled on PostgreSQL keeps its plan (trust list, weights,
-- politeness) and its queue of suppliers here; any number of `ecoscout
-- work` processes claim suppliers from the queue under leases.

-- What every worker of a run needs to screen its suppliers the same way:
-- the trust list's text and digest, the weights' text (NULL: defaults),
-- the run's limits and politeness (JSON of store::pg_queue::CrawlLimits),
-- and whether the queue holds every supplier yet (workers join only then).
CREATE TABLE run_plans (
    run_id bigint PRIMARY KEY REFERENCES runs (id),
    trust_list text NOT NULL,
    trust_digest text NOT NULL,
    weights text,
    limits jsonb NOT NULL,
    queue_ready boolean NOT NULL DEFAULT false
);

-- One supplier of a distributed run, keyed by its domain (the key of its
-- record). `position` keeps the seeds' order. A claim sets `worker`,
-- `token` (new for every claim) and `lease_until`; a lease that passes
-- returns the supplier to `pending`. `done` is set in the transaction that
-- writes the supplier's record, and only by the claim's token.
CREATE TABLE queue (
    run_id bigint NOT NULL REFERENCES runs (id),
    domain text COLLATE "C" NOT NULL,
    position bigint NOT NULL,
    seed jsonb NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'claimed', 'done')),
    worker text,
    token text,
    lease_until timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, domain)
);
CREATE INDEX queue_pending ON queue (run_id, position) WHERE state = 'pending';
CREATE INDEX queue_claimed ON queue (run_id, lease_until) WHERE state = 'claimed';

-- The workers of a run and their last heartbeat, for `runs`.
CREATE TABLE run_workers (
    run_id bigint NOT NULL REFERENCES runs (id),
    worker text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    screened bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, worker)
);
