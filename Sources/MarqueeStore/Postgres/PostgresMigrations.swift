import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema: the same tables as SQLite's, applied once each under
/// an advisory lock so that instances starting together do not race, and
/// recorded in `marquee_migrations`. Instants are seconds since 1970 as in SQLite.
enum PostgresMigrations {
    static let steps: [(name: String, sql: String)] = [
        (
            "001_catalog",
            """
            CREATE TABLE cities (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,
                time_zone TEXT NOT NULL, currency TEXT NOT NULL,
                latitude DOUBLE PRECISION NOT NULL, longitude DOUBLE PRECISION NOT NULL);
            CREATE TABLE venues (
                id TEXT PRIMARY KEY, city_id TEXT NOT NULL REFERENCES cities(id),
                name TEXT NOT NULL, address TEXT NOT NULL,
                latitude DOUBLE PRECISION NOT NULL, longitude DOUBLE PRECISION NOT NULL);
            CREATE TABLE screens (
                id TEXT PRIMARY KEY, venue_id TEXT NOT NULL REFERENCES venues(id),
                name TEXT NOT NULL, layout TEXT NOT NULL);
            CREATE TABLE movies (
                id TEXT PRIMARY KEY, title TEXT NOT NULL, kind TEXT NOT NULL,
                genres TEXT NOT NULL, language TEXT NOT NULL,
                duration_minutes INTEGER NOT NULL, certification TEXT NOT NULL,
                release_date TEXT NOT NULL, synopsis TEXT NOT NULL);
            CREATE TABLE shows (
                id TEXT PRIMARY KEY, movie_id TEXT NOT NULL REFERENCES movies(id),
                venue_id TEXT NOT NULL REFERENCES venues(id),
                screen_id TEXT NOT NULL REFERENCES screens(id),
                starts_at DOUBLE PRECISION NOT NULL, ends_at DOUBLE PRECISION NOT NULL, prices TEXT NOT NULL,
                seat_version BIGINT NOT NULL DEFAULT 0);
            CREATE INDEX shows_by_start ON shows(starts_at);
            """
        ),
        (
            "002_accounts",
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY, email TEXT NOT NULL,
                name TEXT NOT NULL, password_hash TEXT NOT NULL,
                role TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL);
            CREATE UNIQUE INDEX users_by_email ON users (lower(email));
            """
        ),
        (
            "003_seat_inventory",
            """
            CREATE TABLE show_seats (
                show_id TEXT NOT NULL, seat_id TEXT NOT NULL,
                status INTEGER NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 3),
                hold_id TEXT, expires_at DOUBLE PRECISION,
                CHECK (status <> 1 OR (hold_id IS NOT NULL AND expires_at IS NOT NULL)),
                PRIMARY KEY (show_id, seat_id));
            CREATE INDEX show_seats_by_hold ON show_seats(hold_id) WHERE hold_id IS NOT NULL;
            CREATE TABLE holds (
                id TEXT PRIMARY KEY, show_id TEXT NOT NULL, user_id TEXT NOT NULL,
                seats TEXT NOT NULL, total_amount BIGINT NOT NULL, currency TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('active','released','expired','confirmed')),
                ended_at DOUBLE PRECISION);
            CREATE INDEX holds_active_by_expiry ON holds(expires_at) WHERE status = 'active';
            CREATE INDEX holds_active_by_user ON holds(user_id) WHERE status = 'active';
            """
        ),
        (
            "004_idempotency",
            """
            CREATE TABLE idempotency_keys (
                user_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
                status INTEGER, headers TEXT, body BYTEA, created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (user_id, key));
            CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
            """
        ),
        (
            "007_bookings",
            """
            CREATE TABLE bookings (
                id TEXT PRIMARY KEY, reference TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
                show_id TEXT NOT NULL, hold_id TEXT NOT NULL UNIQUE, seats TEXT NOT NULL,
                total_amount BIGINT NOT NULL, currency TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('confirmed','cancelled')),
                created_at DOUBLE PRECISION NOT NULL, cancelled_at DOUBLE PRECISION);
            CREATE INDEX bookings_by_user ON bookings(user_id, created_at);
            CREATE TABLE tickets (
                id TEXT PRIMARY KEY, booking_id TEXT NOT NULL REFERENCES bookings(id),
                show_id TEXT NOT NULL, seat_id TEXT NOT NULL, code TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('valid','used','cancelled')), used_at DOUBLE PRECISION);
            CREATE INDEX tickets_by_booking ON tickets(booking_id);
            -- The invariant, in the database: one valid ticket per seat of a show.
            CREATE UNIQUE INDEX tickets_one_valid_per_seat ON tickets(show_id, seat_id)
                WHERE status IN ('valid','used');
            CREATE TABLE payments (
                id TEXT PRIMARY KEY, booking_id TEXT, hold_id TEXT NOT NULL, user_id TEXT NOT NULL,
                amount BIGINT NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL);
            CREATE INDEX payments_by_hold ON payments(hold_id);
            CREATE INDEX payments_by_booking ON payments(booking_id);
            CREATE TABLE outbox (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event TEXT NOT NULL, payload TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL, delivered_at DOUBLE PRECISION,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at DOUBLE PRECISION NOT NULL DEFAULT 0, last_error TEXT);
            CREATE INDEX outbox_undelivered ON outbox(next_attempt_at) WHERE delivered_at IS NULL;
            """
        ),
        (
            "008_refunds",
            """
            CREATE TABLE refunds (
                id TEXT PRIMARY KEY, booking_id TEXT NOT NULL UNIQUE REFERENCES bookings(id),
                payment_id TEXT NOT NULL, amount BIGINT NOT NULL, currency TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending','succeeded')),
                attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
                created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
                next_attempt_at DOUBLE PRECISION NOT NULL DEFAULT 0);
            CREATE INDEX refunds_pending ON refunds(created_at) WHERE status = 'pending';
            CREATE TABLE refund_policies (venue_id TEXT PRIMARY KEY, tiers TEXT NOT NULL);
            """
        ),
        (
            "010_payment_attempts",
            """
            CREATE TABLE payment_attempts (
                provider_key TEXT PRIMARY KEY, user_id TEXT NOT NULL, hold_id TEXT NOT NULL,
                amount BIGINT NOT NULL, currency TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('open','settled')), created_at DOUBLE PRECISION NOT NULL,
                leased_until DOUBLE PRECISION NOT NULL DEFAULT 0);
            CREATE INDEX payment_attempts_open ON payment_attempts(created_at) WHERE status = 'open';
            """
        ),
        (
            "011_secrets",
            """
            -- Signing keys every instance must share, made by the first instance to start.
            CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            """
        ),
        (
            "012_seat_versions",
            """
            -- Seat changes are numbered from one sequence, drawn while the seat rows are
            -- locked: later changes to a seat always carry larger numbers, and no
            -- transaction waits on a per-show counter row.
            ALTER TABLE show_seats ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
            CREATE SEQUENCE seat_versions;
            SELECT setval('seat_versions', greatest(1, (SELECT max(seat_version) FROM shows)))
            """
        ),
        (
            "013_hold_function",
            """
            CREATE FUNCTION marquee_hold(
                p_hold TEXT, p_show TEXT, p_user TEXT, p_seats TEXT[], p_lines TEXT, p_amount BIGINT,
                p_currency TEXT, p_created DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_now DOUBLE PRECISION,
                p_max BIGINT, p_event TEXT)
            RETURNS TABLE (outcome TEXT, detail TEXT, version BIGINT) LANGUAGE plpgsql AS $$
            -- The whole hold in one round trip (the statement is its own transaction):
            -- the buyer's advisory lock, the hold limits, the seats locked in seat order,
            -- all-or-nothing, numbered and recorded. Each query below sees
            -- what committed before it ran (READ COMMITTED, a volatile function).
            DECLARE
                existing TEXT;
                live INTEGER;
                taken TEXT[];
                v BIGINT;
            BEGIN
                PERFORM pg_advisory_xact_lock(1, hashtext(p_user));
                SELECT h.id INTO existing FROM holds h
                WHERE h.user_id = p_user AND h.show_id = p_show AND h.status = 'active' AND h.expires_at > p_now LIMIT 1;
                IF existing IS NOT NULL THEN
                    RETURN QUERY SELECT 'hold_exists'::text, existing, 0::bigint;
                    RETURN;
                END IF;
                SELECT count(*) INTO live FROM holds h
                WHERE h.user_id = p_user AND h.status = 'active' AND h.expires_at > p_now;
                IF live >= p_max THEN
                    RETURN QUERY SELECT 'hold_limit'::text, NULL::text, 0::bigint;
                    RETURN;
                END IF;
                PERFORM 1 FROM show_seats s WHERE s.show_id = p_show AND s.seat_id = ANY(p_seats)
                ORDER BY s.seat_id FOR UPDATE;
                SELECT array_agg(w.seat_id ORDER BY w.seat_id) INTO taken FROM unnest(p_seats) AS w(seat_id)
                WHERE NOT EXISTS (
                    SELECT 1 FROM show_seats s WHERE s.show_id = p_show AND s.seat_id = w.seat_id
                    AND (s.status = 0 OR (s.status = 1 AND s.expires_at <= p_now)));
                IF taken IS NOT NULL THEN
                    RETURN QUERY SELECT 'taken'::text, array_to_string(taken, ','), 0::bigint;
                    RETURN;
                END IF;
                v := nextval('seat_versions');
                UPDATE show_seats s SET status = 1, hold_id = p_hold, expires_at = p_expires, version = v
                WHERE s.show_id = p_show AND s.seat_id = ANY(p_seats);
                INSERT INTO holds (id, show_id, user_id, seats, total_amount, currency, created_at, expires_at, status)
                VALUES (p_hold, p_show, p_user, p_lines, p_amount, p_currency, p_created, p_expires, 'active');
                INSERT INTO outbox (event, payload, created_at) VALUES ('hold_created', p_event, p_now);
                RETURN QUERY SELECT 'held'::text, NULL::text, v;
            END
            $$
            """
        ),
        (
            "014_release_function",
            """
            CREATE FUNCTION marquee_release(p_hold TEXT, p_user TEXT, p_now DOUBLE PRECISION)
            RETURNS TABLE (
                outcome TEXT, show_id TEXT, seats TEXT, total_amount BIGINT, currency TEXT,
                created_at DOUBLE PRECISION, expires_at DOUBLE PRECISION, status TEXT, version BIGINT, freed TEXT)
            LANGUAGE plpgsql AS $$
            #variable_conflict use_column
            -- A buyer letting go of a hold, in one round trip: the hold row, then its seats
            -- in seat order, freed, numbered and recorded with a hold_released event (or
            -- hold_expired when its time had already run out).
            DECLARE
                h holds%ROWTYPE;
                ended TEXT;
                seat_ids TEXT[];
                v BIGINT := 0;
            BEGIN
                SELECT * INTO h FROM holds WHERE id = p_hold FOR UPDATE;
                IF NOT FOUND OR h.user_id <> p_user THEN
                    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::text, 0::bigint, NULL::text,
                        0::float8, 0::float8, NULL::text, 0::bigint, NULL::text;
                    RETURN;
                END IF;
                IF h.status <> 'active' THEN
                    RETURN QUERY SELECT 'ended'::text, h.show_id, h.seats, h.total_amount, h.currency,
                        h.created_at, h.expires_at, h.status, 0::bigint, NULL::text;
                    RETURN;
                END IF;
                ended := CASE WHEN h.expires_at <= p_now THEN 'expired' ELSE 'released' END;
                SELECT array_agg(l.seat_id ORDER BY l.seat_id) INTO seat_ids FROM (
                    SELECT s.seat_id FROM show_seats s WHERE s.show_id = h.show_id AND s.hold_id = p_hold AND s.status = 1
                    ORDER BY s.seat_id FOR UPDATE) l;
                IF seat_ids IS NOT NULL THEN
                    v := nextval('seat_versions');
                    UPDATE show_seats s SET status = 0, hold_id = NULL, expires_at = NULL, version = v
                    WHERE s.show_id = h.show_id AND s.seat_id = ANY(seat_ids);
                END IF;
                UPDATE holds SET status = ended, ended_at = p_now WHERE id = p_hold;
                INSERT INTO outbox (event, payload, created_at) VALUES (
                    CASE ended WHEN 'expired' THEN 'hold_expired' ELSE 'hold_released' END,
                    jsonb_build_object('hold_id', p_hold, 'seat_ids', coalesce(array_to_string(seat_ids, ','), ''),
                        'show_id', h.show_id)::text,
                    p_now);
                RETURN QUERY SELECT 'released'::text, h.show_id, h.seats, h.total_amount, h.currency,
                    h.created_at, h.expires_at, ended, v, array_to_string(seat_ids, ',');
            END
            $$
            """
        ),
        (
            "015_expire_function",
            """
            CREATE FUNCTION marquee_expire(p_now DOUBLE PRECISION, p_limit BIGINT)
            RETURNS TABLE (hold_id TEXT, show_id TEXT, seat_id TEXT, version BIGINT) LANGUAGE plpgsql AS $$
            #variable_conflict use_column
            -- The expiry sweep in one round trip: up to p_limit holds whose time is up
            -- (skipping any another instance is ending right now), then the seats they
            -- still own in (show, seat) order, freed under one number, with a
            -- hold_expired event per hold. One row per freed seat; a hold that owned
            -- no seat any more (a newer hold took them) comes back with no seat.
            DECLARE
                due TEXT[];
                v BIGINT;
            BEGIN
                SELECT array_agg(d.id) INTO due FROM (
                    SELECT h.id FROM holds h WHERE h.status = 'active' AND h.expires_at <= p_now
                    ORDER BY h.expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED) d;
                IF due IS NULL THEN
                    RETURN;
                END IF;
                PERFORM 1 FROM show_seats s WHERE s.hold_id = ANY(due) AND s.status = 1
                ORDER BY s.show_id, s.seat_id FOR UPDATE;
                v := nextval('seat_versions');
                RETURN QUERY
                WITH owned AS (
                    SELECT s.show_id, s.seat_id, s.hold_id FROM show_seats s WHERE s.hold_id = ANY(due) AND s.status = 1),
                  freed AS (
                    UPDATE show_seats s SET status = 0, hold_id = NULL, expires_at = NULL, version = v
                    FROM owned o WHERE s.show_id = o.show_id AND s.seat_id = o.seat_id
                    RETURNING o.hold_id, o.show_id, o.seat_id),
                  ended AS (
                    UPDATE holds h SET status = 'expired', ended_at = p_now WHERE h.id = ANY(due)
                    RETURNING h.id, h.show_id),
                  events AS (
                    INSERT INTO outbox (event, payload, created_at)
                    SELECT 'hold_expired', jsonb_build_object(
                        'hold_id', e.id,
                        'seat_ids', coalesce(
                            (SELECT string_agg(o.seat_id, ',' ORDER BY o.seat_id) FROM owned o WHERE o.hold_id = e.id), ''),
                        'show_id', e.show_id)::text, p_now
                    FROM ended e)
                SELECT e.id, e.show_id, f.seat_id, v FROM ended e LEFT JOIN freed f ON f.hold_id = e.id;
            END
            $$
            """
        ),
        (
            "016_generic_plans",
            """
            -- The functions' statements look rows up by key: one plan, made once per
            -- session, serves every call (by default PostgreSQL may plan them again
            -- on each call, which cost a quarter of its time under load).
            ALTER FUNCTION marquee_hold SET plan_cache_mode = force_generic_plan;
            ALTER FUNCTION marquee_release SET plan_cache_mode = force_generic_plan;
            ALTER FUNCTION marquee_expire SET plan_cache_mode = force_generic_plan
            """
        ),
        (
            "017_hold_batch_function",
            """
            CREATE FUNCTION marquee_hold_batch(
                p_holds TEXT[], p_shows TEXT[], p_users TEXT[], p_seat_counts INTEGER[], p_seat_shows TEXT[],
                p_seats TEXT[], p_lines TEXT[], p_amounts BIGINT[], p_currencies TEXT[], p_created DOUBLE PRECISION[],
                p_expires DOUBLE PRECISION[], p_now DOUBLE PRECISION, p_max BIGINT[], p_events TEXT[])
            RETURNS TABLE (outcome TEXT, detail TEXT, version BIGINT) LANGUAGE plpgsql
            SET plan_cache_mode = force_generic_plan AS $$
            -- Several holds in one transaction and one round trip (group commit). Every
            -- lock they need is taken first, in the one order: the buyers' advisory locks
            -- sorted, then every requested seat sorted by (show, seat). Then each hold runs
            -- as marquee_hold in the order given, each seeing the ones before it: one row
            -- per hold, in that order. p_seats lists each hold's seats in turn
            -- (p_seat_counts of them), p_seat_shows the show of each.
            DECLARE
                i INTEGER;
                pos INTEGER := 1;
            BEGIN
                PERFORM pg_advisory_xact_lock(1, k.key)
                FROM (SELECT DISTINCT hashtext(u) AS key FROM unnest(p_users) AS u ORDER BY 1) k;
                PERFORM 1 FROM show_seats s
                JOIN unnest(p_seat_shows, p_seats) AS w(show_id, seat_id) ON s.show_id = w.show_id AND s.seat_id = w.seat_id
                ORDER BY s.show_id, s.seat_id FOR UPDATE OF s;
                FOR i IN 1 .. coalesce(array_length(p_holds, 1), 0) LOOP
                    RETURN QUERY SELECT h.outcome, h.detail, h.version FROM marquee_hold(
                        p_holds[i], p_shows[i], p_users[i], p_seats[pos : pos + p_seat_counts[i] - 1], p_lines[i],
                        p_amounts[i], p_currencies[i], p_created[i], p_expires[i], p_now, p_max[i], p_events[i]) h;
                    pos := pos + p_seat_counts[i];
                END LOOP;
            END
            $$
            """
        ),
        (
            "018_release_batch_function",
            """
            CREATE FUNCTION marquee_release_batch(p_holds TEXT[], p_users TEXT[], p_now DOUBLE PRECISION)
            RETURNS TABLE (
                outcome TEXT, show_id TEXT, seats TEXT, total_amount BIGINT, currency TEXT,
                created_at DOUBLE PRECISION, expires_at DOUBLE PRECISION, status TEXT, version BIGINT, freed TEXT)
            LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
            #variable_conflict use_column
            -- Several releases in one transaction and one round trip: the hold rows sorted
            -- by id, then the seats they own sorted by (show, seat), then each release as
            -- marquee_release in the order given: one row per release, in that order.
            DECLARE
                i INTEGER;
            BEGIN
                PERFORM 1 FROM holds h WHERE h.id = ANY(p_holds) ORDER BY h.id FOR UPDATE;
                PERFORM 1 FROM show_seats s WHERE s.hold_id = ANY(p_holds) AND s.status = 1
                ORDER BY s.show_id, s.seat_id FOR UPDATE;
                FOR i IN 1 .. coalesce(array_length(p_holds, 1), 0) LOOP
                    RETURN QUERY SELECT * FROM marquee_release(p_holds[i], p_users[i], p_now);
                END LOOP;
            END
            $$
            """
        ),
        (
            "019_leaner_hold_function",
            """
            CREATE OR REPLACE FUNCTION marquee_hold(
                p_hold TEXT, p_show TEXT, p_user TEXT, p_seats TEXT[], p_lines TEXT, p_amount BIGINT,
                p_currency TEXT, p_created DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_now DOUBLE PRECISION,
                p_max BIGINT, p_event TEXT)
            RETURNS TABLE (outcome TEXT, detail TEXT, version BIGINT) LANGUAGE plpgsql
            SET plan_cache_mode = force_generic_plan AS $$
            -- As in migration 013, with the same answers, in four statements instead of
            -- eight: the buyer's live holds counted in one look, the seats locked and
            -- judged in one, the seats, hold and event written in one.
            DECLARE
                existing TEXT;
                live INTEGER;
                found INTEGER;
                taken TEXT[];
                v BIGINT;
            BEGIN
                PERFORM pg_advisory_xact_lock(1, hashtext(p_user));
                SELECT count(*), max(h.id) FILTER (WHERE h.show_id = p_show) INTO live, existing FROM holds h
                WHERE h.user_id = p_user AND h.status = 'active' AND h.expires_at > p_now;
                IF existing IS NOT NULL THEN
                    RETURN QUERY SELECT 'hold_exists'::text, existing, 0::bigint;
                    RETURN;
                END IF;
                IF live >= p_max THEN
                    RETURN QUERY SELECT 'hold_limit'::text, NULL::text, 0::bigint;
                    RETURN;
                END IF;
                SELECT count(*), array_agg(l.seat_id ORDER BY l.seat_id)
                    FILTER (WHERE NOT (l.status = 0 OR (l.status = 1 AND l.expires_at <= p_now)))
                INTO found, taken FROM (
                    SELECT s.seat_id, s.status, s.expires_at FROM show_seats s
                    WHERE s.show_id = p_show AND s.seat_id = ANY(p_seats) ORDER BY s.seat_id FOR UPDATE) l;
                IF found < cardinality(p_seats) THEN
                    -- Seats the show does not have count as taken too.
                    SELECT array_agg(w.seat_id ORDER BY w.seat_id) INTO taken FROM unnest(p_seats) AS w(seat_id)
                    WHERE NOT EXISTS (
                        SELECT 1 FROM show_seats s WHERE s.show_id = p_show AND s.seat_id = w.seat_id
                        AND (s.status = 0 OR (s.status = 1 AND s.expires_at <= p_now)));
                END IF;
                IF taken IS NOT NULL THEN
                    RETURN QUERY SELECT 'taken'::text, array_to_string(taken, ','), 0::bigint;
                    RETURN;
                END IF;
                v := nextval('seat_versions');
                WITH seats AS (
                    UPDATE show_seats s SET status = 1, hold_id = p_hold, expires_at = p_expires, version = v
                    WHERE s.show_id = p_show AND s.seat_id = ANY(p_seats)),
                  hold AS (
                    INSERT INTO holds (id, show_id, user_id, seats, total_amount, currency, created_at, expires_at, status)
                    VALUES (p_hold, p_show, p_user, p_lines, p_amount, p_currency, p_created, p_expires, 'active'))
                INSERT INTO outbox (event, payload, created_at) VALUES ('hold_created', p_event, p_now);
                RETURN QUERY SELECT 'held'::text, NULL::text, v;
            END
            $$
            """
        ),
    ]

    static var names: [String] { steps.map(\.name) }

    static func migrate(_ database: PostgresBackend) async throws {
        try await database.transaction { connection in
            // One migrating instance at a time; the others wait here, then find nothing to do.
            try await connection.run("SELECT pg_advisory_xact_lock(7265817)", logger: database.logger)
            try await connection.run(
                """
                CREATE TABLE IF NOT EXISTS marquee_migrations (
                    name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: database.logger)
            let applied = Set(
                try await connection.rows(
                    "SELECT name FROM marquee_migrations", as: String.self, logger: database.logger))
            for step in steps where !applied.contains(step.name) {
                // A function body is one statement with semicolons inside; other steps are split.
                let statements =
                    step.sql.hasPrefix("CREATE ") && step.sql.contains(" FUNCTION ")
                    ? [step.sql] : step.sql.components(separatedBy: ";\n")
                for statement in statements {
                    let text = statement.split(separator: "\n").filter {
                        !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--")
                    }
                    .joined(separator: "\n").trimmingCharacters(
                        in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ";")))
                    if !text.isEmpty {
                        try await connection.run(PostgresQuery(unsafeSQL: text), logger: database.logger)
                    }
                }
                try await connection.run(
                    "INSERT INTO marquee_migrations (name) VALUES (\(step.name))", logger: database.logger)
            }
        }
    }

    static func applied(_ database: PostgresBackend) async throws -> [String] {
        try await database.client.rows(
            "SELECT name FROM marquee_migrations ORDER BY name", as: String.self, logger: database.logger)
    }
}
