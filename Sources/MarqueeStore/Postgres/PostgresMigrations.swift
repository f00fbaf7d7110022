import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema: the same tables as SQLite's, applied once each under
/// an advisory lock so that instances starting together do not race, and
/// recorded in `marquee_migrations`. Instants are seconds since 1970 as in SQLite.
enum PostgresMigrations {
    static let steps = tableSteps + functionSteps + seatKeySteps

    static let tableSteps: [(name: String, sql: String)] = [
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
    ]

    static var names: [String] { steps.map(\.name) }

    /// Applies pending migrations; returns the names of those it applied.
    static func migrate(_ database: PostgresBackend) async throws -> [String] {
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
            var done: [String] = []
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
                done.append(step.name)
            }
            return done
        }
    }

    static func applied(_ database: PostgresBackend) async throws -> [String] {
        try await database.rows(
            "SELECT name FROM marquee_migrations ORDER BY name", as: String.self, logger: database.logger)
    }
}
