import Foundation

/// The seat functions again, with every row found by its key (migrations 021-026):
/// generic plans made while a table was small no longer scan it whole as it grows,
/// and a hold lists its seats, so seat changes touch no index (HOT updates).
extension PostgresMigrations {
    static let seatKeySteps: [(name: String, sql: String)] = [
        (
            "021_hold_seat_ids",
            """
            -- A hold lists its seats, so its seats are found by (show, seat) key and
            -- show_seats needs no index on hold_id (dropped in 026): a seat's change
            -- then touches no index at all and PostgreSQL updates it in place (HOT)
            -- instead of adding an index entry per change, which left the hot show's
            -- keys behind thousands of dead entries under a sale.
            ALTER TABLE holds ADD COLUMN seat_ids TEXT[];
            UPDATE holds h SET seat_ids = coalesce((
                SELECT array_agg(s.seat_id ORDER BY s.seat_id) FROM show_seats s WHERE s.hold_id = h.id), '{}')
            WHERE h.status = 'active'
            """
        ),
        (
            "022_hold_function_lists_seats",
            """
            CREATE OR REPLACE FUNCTION marquee_hold(
                p_hold TEXT, p_show TEXT, p_user TEXT, p_seats TEXT[], p_lines TEXT, p_amount BIGINT,
                p_currency TEXT, p_created DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_now DOUBLE PRECISION,
                p_max BIGINT, p_event TEXT)
            RETURNS TABLE (outcome TEXT, detail TEXT, version BIGINT) LANGUAGE plpgsql
            SET plan_cache_mode = force_generic_plan AS $$
            -- As in migration 019; the hold row also lists its seats (p_seats, sorted).
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
                    INSERT INTO holds (
                        id, show_id, user_id, seats, total_amount, currency, created_at, expires_at, status, seat_ids)
                    VALUES (
                        p_hold, p_show, p_user, p_lines, p_amount, p_currency, p_created, p_expires, 'active', p_seats))
                INSERT INTO outbox (event, payload, created_at) VALUES ('hold_created', p_event, p_now);
                RETURN QUERY SELECT 'held'::text, NULL::text, v;
            END
            $$
            """
        ),
        (
            "023_release_function_by_seat_key",
            """
            CREATE OR REPLACE FUNCTION marquee_release(p_hold TEXT, p_user TEXT, p_now DOUBLE PRECISION)
            RETURNS TABLE (
                outcome TEXT, show_id TEXT, seats TEXT, total_amount BIGINT, currency TEXT,
                created_at DOUBLE PRECISION, expires_at DOUBLE PRECISION, status TEXT, version BIGINT, freed TEXT)
            LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
            #variable_conflict use_column
            -- As in migration 014, with the hold's seats looked up by the keys the hold
            -- lists (those it still owns).
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
                    SELECT s.seat_id FROM show_seats s
                    WHERE s.show_id = h.show_id AND s.seat_id = ANY(h.seat_ids) AND s.hold_id = p_hold AND s.status = 1
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
            "024_release_batch_by_seat_key",
            """
            CREATE OR REPLACE FUNCTION marquee_release_batch(p_holds TEXT[], p_users TEXT[], p_now DOUBLE PRECISION)
            RETURNS TABLE (
                outcome TEXT, show_id TEXT, seats TEXT, total_amount BIGINT, currency TEXT,
                created_at DOUBLE PRECISION, expires_at DOUBLE PRECISION, status TEXT, version BIGINT, freed TEXT)
            LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
            #variable_conflict use_column
            -- As in migration 018, with every row found by its key: the hold rows one id
            -- at a time, sorted (`id = ANY(p_holds)` got its one generic plan while the
            -- holds table was small, a sequential scan, and kept it as the table grew);
            -- then the seats the live ones list and still own, sorted by (show, seat);
            -- then each release as marquee_release in the order given.
            DECLARE
                i INTEGER;
                one_hold TEXT;
                h RECORD;
                seat_shows TEXT[] := '{}';
                seat_list TEXT[] := '{}';
                seat_holds TEXT[] := '{}';
            BEGIN
                FOR one_hold IN SELECT DISTINCT u.id FROM unnest(p_holds) AS u(id) ORDER BY 1 LOOP
                    SELECT x.show_id, x.status, coalesce(x.seat_ids, '{}') AS seat_ids INTO h
                    FROM holds x WHERE x.id = one_hold FOR UPDATE;
                    IF FOUND AND h.status = 'active' AND cardinality(h.seat_ids) > 0 THEN
                        seat_shows := seat_shows || array_fill(h.show_id, ARRAY[cardinality(h.seat_ids)]);
                        seat_list := seat_list || h.seat_ids;
                        seat_holds := seat_holds || array_fill(one_hold, ARRAY[cardinality(h.seat_ids)]);
                    END IF;
                END LOOP;
                PERFORM 1 FROM show_seats s
                JOIN unnest(seat_shows, seat_list, seat_holds) AS w(show_id, seat_id, hold_id)
                  ON s.show_id = w.show_id AND s.seat_id = w.seat_id
                WHERE s.hold_id = w.hold_id AND s.status = 1
                ORDER BY s.show_id, s.seat_id FOR UPDATE OF s;
                FOR i IN 1 .. coalesce(array_length(p_holds, 1), 0) LOOP
                    RETURN QUERY SELECT * FROM marquee_release(p_holds[i], p_users[i], p_now);
                END LOOP;
            END
            $$
            """
        ),
        (
            "025_expire_function_by_seat_key",
            """
            CREATE OR REPLACE FUNCTION marquee_expire(p_now DOUBLE PRECISION, p_limit BIGINT)
            RETURNS TABLE (hold_id TEXT, show_id TEXT, seat_id TEXT, version BIGINT) LANGUAGE plpgsql
            SET plan_cache_mode = force_generic_plan AS $$
            #variable_conflict use_column
            -- As in migration 015, with every row found by its key: the due holds by
            -- expiry, their seats by the (show, seat) keys they list (those they still
            -- own), and the hold rows ended one id at a time.
            DECLARE
                r RECORD;
                due TEXT[] := '{}';
                due_shows TEXT[] := '{}';
                seat_shows TEXT[] := '{}';
                seat_list TEXT[] := '{}';
                seat_holds TEXT[] := '{}';
                one_hold TEXT;
                v BIGINT;
            BEGIN
                FOR r IN
                    SELECT h.id, h.show_id, coalesce(h.seat_ids, '{}') AS seat_ids FROM holds h
                    WHERE h.status = 'active' AND h.expires_at <= p_now
                    ORDER BY h.expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED
                LOOP
                    due := due || r.id;
                    due_shows := due_shows || r.show_id;
                    IF cardinality(r.seat_ids) > 0 THEN
                        seat_shows := seat_shows || array_fill(r.show_id, ARRAY[cardinality(r.seat_ids)]);
                        seat_list := seat_list || r.seat_ids;
                        seat_holds := seat_holds || array_fill(r.id, ARRAY[cardinality(r.seat_ids)]);
                    END IF;
                END LOOP;
                IF cardinality(due) = 0 THEN
                    RETURN;
                END IF;
                PERFORM 1 FROM show_seats s
                JOIN unnest(seat_shows, seat_list, seat_holds) AS w(show_id, seat_id, hold_id)
                  ON s.show_id = w.show_id AND s.seat_id = w.seat_id
                WHERE s.hold_id = w.hold_id AND s.status = 1
                ORDER BY s.show_id, s.seat_id FOR UPDATE OF s;
                v := nextval('seat_versions');
                RETURN QUERY
                WITH freed AS (
                    UPDATE show_seats s SET status = 0, hold_id = NULL, expires_at = NULL, version = v
                    FROM unnest(seat_shows, seat_list, seat_holds) AS w(show_id, seat_id, hold_id)
                    WHERE s.show_id = w.show_id AND s.seat_id = w.seat_id AND s.hold_id = w.hold_id AND s.status = 1
                    RETURNING w.hold_id, w.seat_id),
                  events AS (
                    INSERT INTO outbox (event, payload, created_at)
                    SELECT 'hold_expired', jsonb_build_object(
                        'hold_id', d.id,
                        'seat_ids', coalesce(
                            (SELECT string_agg(f.seat_id, ',' ORDER BY f.seat_id) FROM freed f WHERE f.hold_id = d.id), ''),
                        'show_id', d.show_id)::text, p_now
                    FROM unnest(due, due_shows) AS d(id, show_id))
                SELECT d.id, d.show_id, f.seat_id, v FROM unnest(due, due_shows) AS d(id, show_id)
                LEFT JOIN freed f ON f.hold_id = d.id;
                FOREACH one_hold IN ARRAY due LOOP
                    UPDATE holds SET status = 'expired', ended_at = p_now WHERE id = one_hold;
                END LOOP;
            END
            $$
            """
        ),
        (
            "026_seat_changes_in_place",
            """
            -- Nothing looks seats up by hold any more (migrations 021-025). Without this
            -- index a seat's change touches no indexed column, so it can stay on its
            -- page (HOT); room is left on each page for that.
            DROP INDEX show_seats_by_hold;
            ALTER TABLE show_seats SET (fillfactor = 80)
            """
        ),
    ]
}
