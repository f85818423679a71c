-- Claiming and marking 20,000 messages on PostgreSQL: the outbox as it was until migration
-- 20261204000014 (each message's row written at the claim, status 'sending', and at the
-- marking) against leases held by batch (one row per claimed batch in a table of its own; the
-- messages stay 'queued' until marked sent) and the other layouts below.
-- Only the database's own work, in procedures: no protocol, no commits in between.
--
--   createdb -U postgres -h 127.0.0.1 outbox_leases
--   psql -U postgres -h 127.0.0.1 outbox_leases -q -f bench/outbox-leases.sql
--   for r in 1 2 3; do for v in a b c; do
--     psql -U postgres -h 127.0.0.1 outbox_leases -qAt -c "CALL fill(20000)" -c '\timing on' \
--       -c "CALL run_$v()" | grep Time | sed "s/^/$v /"
--   done; done
--
-- Runs ac, dc and sc commit as the dispatcher does; for them, add `-c "SET synchronous_commit TO
-- off"` before the timing, run `ac dc sc` in place of `a b c`, and fill with `fill_s` for sc.
-- Runs bs and q (at the end) commit the same way: fill with `fill_s` for bs, `fill_q` for q.
--
-- Run c (tried, not kept) claims without changing an indexed column, so that PostgreSQL can
-- write the claim as a heap-only tuple: on its own copy `obc` (fillfactor 70, no index on the
-- lease), the message stays 'queued' with its lease set. `fill` fills both copies.
--
-- The copy `ob` has the outbox's columns, constraints and indexes as the migrations up to
-- 20261204000014 made them (one table, the status among the message's columns), without the
-- foreign keys. Since 20261205000015 the outbox is laid out as `sc` measures it. Claims take
-- 400, markings 25, as the dispatcher does.
DROP TABLE IF EXISTS ob CASCADE; DROP TABLE IF EXISTS ob_batches; DROP TABLE IF EXISTS obc;
CREATE TABLE ob (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, dedup_key text NOT NULL UNIQUE,
    kind text NOT NULL, event_id text, subscription_id text, recipient text NOT NULL,
    sequence bigint NOT NULL DEFAULT 0, detail text NOT NULL DEFAULT '', due_at bigint NOT NULL,
    status text NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'dropped')),
    attempts bigint NOT NULL DEFAULT 0, lease_owner text, lease_until bigint, last_error text,
    created_at bigint NOT NULL, updated_at bigint NOT NULL, sent_at bigint,
    registration_id text, planned_at bigint);
CREATE INDEX ON ob (due_at, id) WHERE status = 'queued';
CREATE INDEX ON ob (lease_until, id) WHERE status = 'sending';
CREATE INDEX ON ob (updated_at, status) WHERE status = 'sent';
CREATE INDEX ON ob (updated_at, id) WHERE status = 'failed';
CREATE INDEX ON ob (updated_at) WHERE status = 'dropped';
CREATE INDEX ON ob (event_id, status);
CREATE INDEX ON ob (subscription_id);
CREATE INDEX ON ob (registration_id);
CREATE TABLE obc (LIKE ob INCLUDING ALL) WITH (fillfactor = 70);
DO $$ DECLARE i record; BEGIN
  FOR i IN SELECT indexname FROM pg_indexes WHERE tablename = 'obc' AND indexdef LIKE '%lease_until%' LOOP
    EXECUTE 'DROP INDEX ' || quote_ident(i.indexname);
  END LOOP;
END $$;
CREATE TABLE ob_batches (id bigint generated always as identity primary key, owner text not null, lease_until bigint not null, ids bigint[] not null);
CREATE INDEX ON ob_batches (lease_until);
CREATE OR REPLACE PROCEDURE fill(n int) LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE ob; TRUNCATE ob_batches; TRUNCATE obc;
  INSERT INTO ob (id, dedup_key, kind, event_id, subscription_id, recipient, sequence, detail, due_at, status, attempts, created_at, updated_at)
  OVERRIDING SYSTEM VALUE SELECT g, 'reminder:evt-0123456789abcdef:0:P1D:personne' || g || '@exemple.fr', 'reminder', 'evt-0123456789abcdef', 'sub-' || lpad(g::text, 20, '0'),
    'personne' || g || '@exemple.fr', 0, '', 1000, 'queued', 0, 1, 1 FROM generate_series(1, n) g;
  INSERT INTO obc OVERRIDING SYSTEM VALUE SELECT * FROM ob;
  ANALYZE ob; ANALYZE obc;
END $$;
-- A: current: claim 400 (status sending), mark 25 at a time (status sent)
CREATE OR REPLACE PROCEDURE run_a() LANGUAGE plpgsql AS $$
DECLARE got bigint[]; i int;
BEGIN
  LOOP
    WITH c AS (UPDATE ob SET status='sending', lease_owner='me', lease_until=5000, attempts=attempts+1, updated_at=2
      WHERE id = ANY(ARRAY(SELECT id FROM ob WHERE status='queued' AND due_at <= 2000 ORDER BY due_at, id LIMIT 400 FOR UPDATE SKIP LOCKED)) RETURNING id)
    SELECT array_agg(id) INTO got FROM c;
    EXIT WHEN got IS NULL;
    FOR i IN 0..(array_length(got,1)-1)/25 LOOP
      UPDATE ob SET status='sent', lease_owner=NULL, lease_until=NULL, sent_at=3, detail='', updated_at=3
        WHERE lease_owner='me' AND id = ANY(got[i*25+1:i*25+25]);
    END LOOP;
  END LOOP;
END $$;
-- B: lease by batch: rows stay queued; one batch row; mark 25 at a time
CREATE OR REPLACE PROCEDURE run_b() LANGUAGE plpgsql AS $$
DECLARE got bigint[]; i int; b bigint;
BEGIN
  LOOP
    SELECT array_agg(id) INTO got FROM (SELECT id FROM ob o WHERE status='queued' AND due_at <= 2000
      AND NOT EXISTS (SELECT 1 FROM ob_batches x WHERE x.lease_until > 2000 AND o.id = ANY(x.ids))
      ORDER BY due_at, id LIMIT 400 FOR UPDATE SKIP LOCKED) s;
    EXIT WHEN got IS NULL;
    INSERT INTO ob_batches (owner, lease_until, ids) VALUES ('me', 5000, got) RETURNING id INTO b;
    FOR i IN 0..(array_length(got,1)-1)/25 LOOP
      UPDATE ob SET status='sent', sent_at=3, detail='', updated_at=3
        WHERE status='queued' AND id = ANY(got[i*25+1:i*25+25]);
    END LOOP;
    DELETE FROM ob_batches WHERE id = b;
  END LOOP;
END $$;
-- C: claim as a heap-only tuple: rows stay queued with their lease set (no indexed column
-- changes); mark 25 at a time
CREATE OR REPLACE PROCEDURE run_c() LANGUAGE plpgsql AS $$
DECLARE got bigint[]; i int;
BEGIN
  LOOP
    WITH c AS (UPDATE obc SET lease_owner='me', lease_until=5000, attempts=attempts+1
      WHERE id = ANY(ARRAY(SELECT id FROM obc WHERE status='queued' AND due_at <= 2000
        AND (lease_until IS NULL OR lease_until < 2000) ORDER BY due_at, id LIMIT 400 FOR UPDATE SKIP LOCKED)) RETURNING id)
    SELECT array_agg(id) INTO got FROM c;
    EXIT WHEN got IS NULL;
    FOR i IN 0..(array_length(got,1)-1)/25 LOOP
      UPDATE obc SET status='sent', lease_owner=NULL, lease_until=NULL, sent_at=3, detail='', updated_at=3
        WHERE lease_owner='me' AND id = ANY(got[i*25+1:i*25+25]);
    END LOOP;
  END LOOP;
END $$;
-- AC: as A, with a commit after each claim and each marking, as the dispatcher commits them
-- (run with `SET synchronous_commit TO off`, as its transactions are).
CREATE OR REPLACE PROCEDURE run_ac() LANGUAGE plpgsql AS $$
DECLARE got bigint[]; i int;
BEGIN
  LOOP
    WITH c AS (UPDATE ob SET status='sending', lease_owner='me', lease_until=5000, attempts=attempts+1, updated_at=2
      WHERE id = ANY(ARRAY(SELECT id FROM ob WHERE status='queued' AND due_at <= 2000 ORDER BY due_at, id LIMIT 400 FOR UPDATE SKIP LOCKED)) RETURNING id)
    SELECT array_agg(id) INTO got FROM c;
    COMMIT;
    EXIT WHEN got IS NULL;
    FOR i IN 0..(array_length(got,1)-1)/25 LOOP
      UPDATE ob SET status='sent', lease_owner=NULL, lease_until=NULL, sent_at=3, detail='', updated_at=3
        WHERE lease_owner='me' AND id = ANY(got[i*25+1:i*25+25]);
      COMMIT;
    END LOOP;
  END LOOP;
END $$;
-- DC (tried, not kept): as AC, with the claims serialised by an advisory lock instead of each
-- row locked FOR UPDATE SKIP LOCKED (the claim's update checks the status again instead).
CREATE OR REPLACE PROCEDURE run_dc() LANGUAGE plpgsql AS $$
DECLARE got bigint[]; i int;
BEGIN
  LOOP
    PERFORM pg_advisory_xact_lock(42);
    WITH c AS (UPDATE ob SET status='sending', lease_owner='me', lease_until=5000, attempts=attempts+1, updated_at=2
      WHERE id = ANY(ARRAY(SELECT id FROM ob WHERE status='queued' AND due_at <= 2000 ORDER BY due_at, id LIMIT 400)) AND status='queued' RETURNING id)
    SELECT array_agg(id) INTO got FROM c;
    COMMIT;
    EXIT WHEN got IS NULL;
    FOR i IN 0..(array_length(got,1)-1)/25 LOOP
      UPDATE ob SET status='sent', lease_owner=NULL, lease_until=NULL, sent_at=3, detail='', updated_at=3
        WHERE lease_owner='me' AND id = ANY(got[i*25+1:i*25+25]);
      COMMIT;
    END LOOP;
  END LOOP;
END $$;
-- SC (measured for the next step): the status kept apart from the message. `obs` holds what
-- changes (status, due time, lease, attempts, times) with the status indexes; `ob` keeps the
-- message. Claims and markings write only `obs`: a row version with an entry in its primary
-- key and in the partial index of its new status, instead of six. Committed as AC is; the
-- claim reads the claimed messages from `ob` beside it. Fill with `CALL fill_s(20000)`.
DROP TABLE IF EXISTS obs;
CREATE TABLE obs (id bigint PRIMARY KEY, status text NOT NULL, due_at bigint NOT NULL,
  attempts bigint NOT NULL DEFAULT 0, lease_owner text, lease_until bigint,
  updated_at bigint NOT NULL, sent_at bigint, last_error text);
CREATE INDEX obs_queued ON obs (due_at, id) WHERE status = 'queued';
CREATE INDEX obs_sending ON obs (lease_until, id) WHERE status = 'sending';
CREATE INDEX obs_sent ON obs (updated_at, status) WHERE status = 'sent';
CREATE INDEX obs_failed ON obs (updated_at, id) WHERE status = 'failed';
CREATE INDEX obs_dropped ON obs (updated_at) WHERE status = 'dropped';
CREATE OR REPLACE PROCEDURE fill_s(n int) LANGUAGE plpgsql AS $$
BEGIN
  CALL fill(n);
  TRUNCATE obs;
  INSERT INTO obs (id, status, due_at, attempts, updated_at)
    SELECT id, status, due_at, attempts, updated_at FROM ob;
  ANALYZE obs;
END $$;
CREATE OR REPLACE PROCEDURE run_sc() LANGUAGE plpgsql AS $$
DECLARE got bigint[]; i int;
BEGIN
  LOOP
    WITH c AS (UPDATE obs SET status='sending', lease_owner='me', lease_until=5000, attempts=attempts+1, updated_at=2
      WHERE id = ANY(ARRAY(SELECT id FROM obs WHERE status='queued' AND due_at <= 2000 ORDER BY due_at, id LIMIT 400 FOR UPDATE SKIP LOCKED)) RETURNING id)
    SELECT array_agg(id) INTO got FROM c;
    PERFORM count(*) FROM ob WHERE id = ANY(got);
    COMMIT;
    EXIT WHEN got IS NULL;
    FOR i IN 0..(array_length(got,1)-1)/25 LOOP
      UPDATE obs SET status='sent', lease_owner=NULL, lease_until=NULL, sent_at=3, updated_at=3
        WHERE lease_owner='me' AND id = ANY(got[i*25+1:i*25+25]);
      COMMIT;
    END LOOP;
  END LOOP;
END $$;

-- BS (measured in the eleventh session, not built): leases held by batch on the layout as it is
-- since 20261205000015 (`obs` beside `ob`, as run sc), committed as sc is: a claim locks the
-- rows it takes, writes one batch row and reads the messages; the rows stay queued until marked
-- sent. Fill with `CALL fill_s(20000)`.
CREATE TABLE obs_batches (id bigint generated always as identity primary key, owner text not null, lease_until bigint not null, ids bigint[] not null);
CREATE OR REPLACE PROCEDURE run_bs() LANGUAGE plpgsql AS $$
DECLARE got bigint[]; i int; b bigint;
BEGIN
  LOOP
    SELECT array_agg(id) INTO got FROM (SELECT id FROM obs o WHERE status='queued' AND due_at <= 2000
      AND NOT EXISTS (SELECT 1 FROM obs_batches x WHERE x.lease_until > 2000 AND o.id = ANY(x.ids))
      ORDER BY due_at, id LIMIT 400 FOR UPDATE SKIP LOCKED) s;
    EXIT WHEN got IS NULL;
    INSERT INTO obs_batches (owner, lease_until, ids) VALUES ('me', 5000, got) RETURNING id INTO b;
    PERFORM count(*) FROM ob WHERE id = ANY(got);
    COMMIT;
    FOR i IN 0..(array_length(got,1)-1)/25 LOOP
      UPDATE obs SET status='sent', sent_at=3, updated_at=3
        WHERE status='queued' AND id = ANY(got[i*25+1:i*25+25]);
      COMMIT;
    END LOOP;
    DELETE FROM obs_batches WHERE id = b;
    COMMIT;
  END LOOP;
END $$;

-- Q (measured in the eleventh session, not built): the queue apart (`obq`: id and due time,
-- deleted at the claim), the state with only its key (fillfactor 80) so that claims and markings
-- may update it in place (heap-only tuples), one batch row per claim. Fill with
-- `CALL fill_q(20000)`.
DROP TABLE IF EXISTS obq; DROP TABLE IF EXISTS obqs; DROP TABLE IF EXISTS obq_batches;
CREATE TABLE obqs (id bigint PRIMARY KEY, status text NOT NULL, due_at bigint NOT NULL,
  attempts bigint NOT NULL DEFAULT 0, lease_owner text, lease_until bigint,
  updated_at bigint NOT NULL, sent_at bigint, last_error text, detail text not null default '') WITH (fillfactor = 80);
CREATE TABLE obq (id bigint PRIMARY KEY, due_at bigint NOT NULL);
CREATE INDEX obq_due ON obq (due_at, id);
CREATE TABLE obq_batches (id bigint generated always as identity primary key, owner text not null, lease_until bigint not null, ids bigint[] not null);
CREATE OR REPLACE PROCEDURE fill_q(n int) LANGUAGE plpgsql AS $$
BEGIN
  CALL fill(n);
  TRUNCATE obqs; TRUNCATE obq; TRUNCATE obq_batches;
  INSERT INTO obqs (id, status, due_at, attempts, updated_at) SELECT id, status, due_at, attempts, updated_at FROM ob;
  INSERT INTO obq (id, due_at) SELECT id, due_at FROM ob;
  ANALYZE obqs; ANALYZE obq;
END $$;
CREATE OR REPLACE PROCEDURE run_q() LANGUAGE plpgsql AS $$
DECLARE got bigint[]; i int; b bigint;
BEGIN
  LOOP
    WITH d AS (DELETE FROM obq WHERE id = ANY(ARRAY(SELECT id FROM obq WHERE due_at <= 2000 ORDER BY due_at, id LIMIT 400 FOR UPDATE SKIP LOCKED)) RETURNING id)
    SELECT array_agg(id) INTO got FROM d;
    EXIT WHEN got IS NULL;
    UPDATE obqs SET status='sending', lease_owner='me', lease_until=5000, attempts=attempts+1, updated_at=2 WHERE id = ANY(got);
    INSERT INTO obq_batches (owner, lease_until, ids) VALUES ('me', 5000, got) RETURNING id INTO b;
    PERFORM count(*) FROM ob WHERE id = ANY(got);
    COMMIT;
    FOR i IN 0..(array_length(got,1)-1)/25 LOOP
      UPDATE obqs SET status='sent', lease_owner=NULL, lease_until=NULL, sent_at=3, detail='', updated_at=3
        WHERE lease_owner='me' AND id = ANY(got[i*25+1:i*25+25]);
      COMMIT;
    END LOOP;
    DELETE FROM obq_batches WHERE id = b;
    COMMIT;
  END LOOP;
END $$;
