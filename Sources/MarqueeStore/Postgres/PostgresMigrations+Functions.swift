import Foundation

/// The seat functions: each hold, release, batch of them and expiry sweep is one
/// statement, so one round trip. They run with generic plans: their statements
/// look rows up by key, and one plan per session serves every call.
extension PostgresMigrations {
    static let functionSteps: [(name: String, sql: String)] = [
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
}
