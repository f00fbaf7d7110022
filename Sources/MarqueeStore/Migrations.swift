import GRDB

/// The schema, as named steps applied once each and recorded by GRDB in
/// `grdb_migrations`.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001_catalog") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cities (
                        id TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,
                        time_zone TEXT NOT NULL, currency TEXT NOT NULL,
                        latitude REAL NOT NULL, longitude REAL NOT NULL);
                    CREATE TABLE venues (
                        id TEXT PRIMARY KEY, city_id TEXT NOT NULL REFERENCES cities(id),
                        name TEXT NOT NULL, address TEXT NOT NULL,
                        latitude REAL NOT NULL, longitude REAL NOT NULL);
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
                        starts_at REAL NOT NULL, ends_at REAL NOT NULL, prices TEXT NOT NULL,
                        seat_version INTEGER NOT NULL DEFAULT 0);
                    CREATE INDEX shows_by_start ON shows(starts_at);
                    """)
        }
        migrator.registerMigration("002_accounts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        name TEXT NOT NULL, password_hash TEXT NOT NULL,
                        role TEXT NOT NULL, created_at REAL NOT NULL);
                    """)
        }
        migrator.registerMigration("003_seat_inventory") { db in
            // status: 0 available, 1 held, 2 booked, 3 blocked (SeatStatus.code).
            try db.execute(
                sql: """
                    CREATE TABLE show_seats (
                        show_id TEXT NOT NULL, seat_id TEXT NOT NULL,
                        status INTEGER NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 3),
                        hold_id TEXT, expires_at REAL,
                        CHECK (status <> 1 OR (hold_id IS NOT NULL AND expires_at IS NOT NULL)),
                        PRIMARY KEY (show_id, seat_id)) WITHOUT ROWID;
                    CREATE INDEX show_seats_by_hold ON show_seats(hold_id) WHERE hold_id IS NOT NULL;
                    CREATE TABLE holds (
                        id TEXT PRIMARY KEY, show_id TEXT NOT NULL, user_id TEXT NOT NULL,
                        seats TEXT NOT NULL, total_amount INTEGER NOT NULL, currency TEXT NOT NULL,
                        created_at REAL NOT NULL, expires_at REAL NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('active','released','expired','confirmed')),
                        ended_at REAL);
                    CREATE INDEX holds_active_by_expiry ON holds(expires_at) WHERE status = 'active';
                    CREATE INDEX holds_by_show_user ON holds(show_id, user_id) WHERE status = 'active';
                    """)
        }
        migrator.registerMigration("004_idempotency") { db in
            // One row per (user, key): claimed while the first request runs, then its answer.
            try db.execute(
                sql: """
                    CREATE TABLE idempotency_keys (
                        user_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
                        status INTEGER, headers TEXT, body BLOB, created_at REAL NOT NULL,
                        PRIMARY KEY (user_id, key));
                    """)
        }
        migrator.registerMigration("005_holds_by_buyer") { db in
            try db.execute(sql: "CREATE INDEX holds_active_by_user ON holds(user_id) WHERE status = 'active'")
        }
        migrator.registerMigration("006_idempotency_by_age") { db in
            try db.execute(sql: "CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at)")
        }
        migrator.registerMigration("007_bookings") { db in
            try db.execute(
                sql: """
                    CREATE TABLE bookings (
                        id TEXT PRIMARY KEY, reference TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
                        show_id TEXT NOT NULL, hold_id TEXT NOT NULL UNIQUE, seats TEXT NOT NULL,
                        total_amount INTEGER NOT NULL, currency TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('confirmed','cancelled')),
                        created_at REAL NOT NULL, cancelled_at REAL);
                    CREATE INDEX bookings_by_user ON bookings(user_id, created_at);
                    CREATE TABLE tickets (
                        id TEXT PRIMARY KEY, booking_id TEXT NOT NULL REFERENCES bookings(id),
                        show_id TEXT NOT NULL, seat_id TEXT NOT NULL, code TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('valid','used','cancelled')), used_at REAL);
                    -- The invariant, in the database: one valid ticket per seat of a show.
                    CREATE UNIQUE INDEX tickets_one_valid_per_seat ON tickets(show_id, seat_id)
                        WHERE status IN ('valid','used');
                    CREATE TABLE payments (
                        id TEXT PRIMARY KEY, booking_id TEXT, hold_id TEXT NOT NULL, user_id TEXT NOT NULL,
                        amount INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
                        created_at REAL NOT NULL, updated_at REAL NOT NULL);
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL, payload TEXT NOT NULL,
                        created_at REAL NOT NULL, delivered_at REAL, attempts INTEGER NOT NULL DEFAULT 0);
                    """)
        }
        migrator.registerMigration("008_refunds") { db in
            try db.execute(
                sql: """
                    CREATE TABLE refunds (
                        id TEXT PRIMARY KEY, booking_id TEXT NOT NULL UNIQUE REFERENCES bookings(id),
                        payment_id TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('pending','succeeded')),
                        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
                        created_at REAL NOT NULL, updated_at REAL NOT NULL);
                    CREATE INDEX refunds_pending ON refunds(created_at) WHERE status = 'pending';
                    -- Cancellation tiers per venue as JSON; venues without a row use the standard policy.
                    CREATE TABLE refund_policies (venue_id TEXT PRIMARY KEY, tiers TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("009_outbox_retries") { db in
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN next_attempt_at REAL NOT NULL DEFAULT 0;
                    ALTER TABLE outbox ADD COLUMN last_error TEXT;
                    CREATE INDEX outbox_undelivered ON outbox(next_attempt_at) WHERE delivered_at IS NULL;
                    """)
        }
        migrator.registerMigration("010_payment_attempts") { db in
            // Written before the provider is asked, so a crash at any later point leaves a trace to settle.
            try db.execute(
                sql: """
                    CREATE TABLE payment_attempts (
                        provider_key TEXT PRIMARY KEY, user_id TEXT NOT NULL, hold_id TEXT NOT NULL,
                        amount INTEGER NOT NULL, currency TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('open','settled')), created_at REAL NOT NULL);
                    CREATE INDEX payment_attempts_open ON payment_attempts(created_at) WHERE status = 'open';
                    """)
        }
        return migrator
    }
}
