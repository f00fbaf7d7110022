import Foundation
import Logging
import MarqueeCore
import PostgresNIO

/// How long a worker's claim on an item lasts before another instance may take it
/// over (the first instance died, or is stuck).
let workerLease: TimeInterval = 60

public struct PostgresCatalogStore: CatalogStore {
    let database: PostgresBackend
    public init(database: PostgresBackend) { self.database = database }

    public func save(_ content: CatalogContent) async throws {
        let logger = database.logger
        try await database.transaction { connection in
            for city in content.cities {
                try await connection.run(
                    """
                    INSERT INTO cities VALUES (\(city.id.rawValue), \(city.name), \(city.country), \(city.timeZone),
                      \(city.currency), \(city.latitude), \(city.longitude))
                    ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country,
                      time_zone = excluded.time_zone, currency = excluded.currency,
                      latitude = excluded.latitude, longitude = excluded.longitude
                    """, logger: logger)
            }
            for venue in content.venues {
                try await connection.run(
                    """
                    INSERT INTO venues VALUES (\(venue.id.rawValue), \(venue.cityId.rawValue), \(venue.name),
                      \(venue.address), \(venue.latitude), \(venue.longitude))
                    ON CONFLICT (id) DO UPDATE SET city_id = excluded.city_id, name = excluded.name,
                      address = excluded.address, latitude = excluded.latitude, longitude = excluded.longitude
                    """, logger: logger)
            }
            for screen in content.screens {
                try await connection.run(
                    """
                    INSERT INTO screens VALUES (\(screen.id.rawValue), \(screen.venueId.rawValue), \(screen.name),
                      \(try JSONText.encode(screen.layout)))
                    ON CONFLICT (id) DO UPDATE SET venue_id = excluded.venue_id, name = excluded.name,
                      layout = excluded.layout
                    """, logger: logger)
            }
            for movie in content.movies {
                try await connection.run(
                    """
                    INSERT INTO movies VALUES (\(movie.id.rawValue), \(movie.title), \(movie.kind),
                      \(try JSONText.encode(movie.genres)), \(movie.language), \(movie.durationMinutes),
                      \(movie.certification), \(movie.releaseDate), \(movie.synopsis))
                    ON CONFLICT (id) DO UPDATE SET title = excluded.title, kind = excluded.kind,
                      genres = excluded.genres, language = excluded.language,
                      duration_minutes = excluded.duration_minutes, certification = excluded.certification,
                      release_date = excluded.release_date, synopsis = excluded.synopsis
                    """, logger: logger)
            }
            var layouts = Dictionary(uniqueKeysWithValues: content.screens.map { ($0.id, $0.layout) })
            for show in content.shows {
                try await connection.run(
                    """
                    INSERT INTO shows (id, movie_id, venue_id, screen_id, starts_at, ends_at, prices)
                    VALUES (\(show.id.rawValue), \(show.movieId.rawValue), \(show.venueId.rawValue),
                      \(show.screenId.rawValue), \(show.startsAt.storedValue), \(show.endsAt.storedValue),
                      \(try JSONText.encode(Prices(show.prices))))
                    ON CONFLICT (id) DO UPDATE SET movie_id = excluded.movie_id, venue_id = excluded.venue_id,
                      screen_id = excluded.screen_id, starts_at = excluded.starts_at,
                      ends_at = excluded.ends_at, prices = excluded.prices
                    """, logger: logger)
                if layouts[show.screenId] == nil,
                    let text = try await connection.rows(
                        "SELECT layout FROM screens WHERE id = \(show.screenId.rawValue)", as: String.self,
                        logger: logger
                    ).first
                {
                    layouts[show.screenId] = try JSONText.decode(SeatLayout.self, text)
                }
                guard let layout = layouts[show.screenId] else { continue }
                try await connection.run(
                    """
                    INSERT INTO show_seats (show_id, seat_id)
                    SELECT \(show.id.rawValue), unnest(\(layout.seats.map(\.id.rawValue)))
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
        }
    }

    public func loadCatalog(showsEndingAfter: Date) async throws -> CatalogIndex {
        let client = database
        let logger = database.logger
        let cities = try await client.rows(
            "SELECT id, name, country, time_zone, currency, latitude, longitude FROM cities",
            as: (String, String, String, String, String, Double, Double).self, logger: logger
        ).map {
            City(
                id: City.ID($0.0), name: $0.1, country: $0.2, timeZone: $0.3, currency: $0.4, latitude: $0.5,
                longitude: $0.6)
        }
        let zones = Dictionary(uniqueKeysWithValues: cities.map { ($0.id, $0.timeZone) })
        let venues = try await client.rows(
            "SELECT id, city_id, name, address, latitude, longitude FROM venues",
            as: (String, String, String, String, Double, Double).self, logger: logger
        ).map {
            Venue(
                id: Venue.ID($0.0), cityId: City.ID($0.1), name: $0.2, address: $0.3, latitude: $0.4,
                longitude: $0.5, timeZone: zones[City.ID($0.1)] ?? "UTC")
        }
        let venueZones = Dictionary(uniqueKeysWithValues: venues.map { ($0.id, $0.timeZone) })
        let screens = try await client.rows(
            "SELECT id, venue_id, name, layout FROM screens", as: (String, String, String, String).self,
            logger: logger
        ).map {
            Screen(
                id: Screen.ID($0.0), venueId: Venue.ID($0.1), name: $0.2,
                layout: try JSONText.decode(SeatLayout.self, $0.3))
        }
        let movies = try await client.rows(
            """
            SELECT id, title, kind, genres, language, duration_minutes, certification, release_date, synopsis FROM movies
            """, as: (String, String, String, String, String, Int, String, String, String).self, logger: logger
        ).map {
            Movie(
                id: Movie.ID($0.0), title: $0.1, kind: $0.2, genres: try JSONText.decode([String].self, $0.3),
                language: $0.4, durationMinutes: $0.5, certification: $0.6, releaseDate: $0.7, synopsis: $0.8)
        }
        let shows = try await client.rows(
            """
            SELECT id, movie_id, venue_id, screen_id, starts_at, ends_at, prices FROM shows
            WHERE ends_at > \(showsEndingAfter.storedValue)
            """, as: (String, String, String, String, Double, Double, String).self, logger: logger
        ).map {
            Show(
                id: Show.ID($0.0), movieId: Movie.ID($0.1), venueId: Venue.ID($0.2), screenId: Screen.ID($0.3),
                startsAt: Date(storedValue: $0.4), endsAt: Date(storedValue: $0.5),
                timeZone: venueZones[Venue.ID($0.2)] ?? "UTC",
                prices: try JSONText.decode(Prices.self, $0.6).byCategory)
        }
        return CatalogIndex(cities: cities, venues: venues, screens: screens, movies: movies, shows: shows)
    }
}

public struct PostgresAccountStore: AccountStore {
    let database: PostgresBackend
    public init(database: PostgresBackend) { self.database = database }

    public func createUser(_ user: User, passwordHash: String) async throws {
        do {
            try await database.execute(
                """
                INSERT INTO users (id, email, name, password_hash, role, created_at)
                VALUES (\(user.id.rawValue), \(user.email), \(user.name), \(passwordHash), \(user.role), \(user.createdAt.storedValue))
                """)
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw BookingError.emailTaken(user.email)
        }
    }

    public func credentials(email: String) async throws -> (user: User, passwordHash: String)? {
        try await users("WHERE lower(email) = lower(\(email))").first
    }

    public func user(_ id: User.ID) async throws -> User? {
        try await users("WHERE id = \(id.rawValue)").first?.user
    }

    private func users(_ condition: PostgresQuery) async throws -> [(user: User, passwordHash: String)] {
        var query = PostgresQuery(unsafeSQL: "SELECT id, email, name, role, created_at, password_hash FROM users ")
        query.sql += condition.sql
        query.binds = condition.binds
        return try await database.rows(
            query, as: (String, String, String, String, Double, String).self, logger: database.logger
        ).map {
            (
                User(id: User.ID($0.0), email: $0.1, name: $0.2, role: $0.3, createdAt: Date(storedValue: $0.4)),
                $0.5
            )
        }
    }
}

public struct PostgresIdempotencyStore: IdempotencyStore {
    let database: PostgresBackend
    public init(database: PostgresBackend) { self.database = database }

    public func claim(user: User.ID, key: String, fingerprint: String, now: Date, abandonAfter: TimeInterval)
        async throws -> IdempotencyClaim
    {
        let logger = database.logger
        return try await database.transaction { connection in
            // Insert or find, then lock the row: of two instances racing on one key, one claims it.
            let inserted = try await connection.run(
                """
                INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at)
                VALUES (\(user.rawValue), \(key), \(fingerprint), \(now.storedValue))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger)
            if inserted == 1 { return .claimed }
            guard
                let row = try await connection.rows(
                    """
                    SELECT fingerprint, status, headers, body, created_at FROM idempotency_keys
                    WHERE user_id = \(user.rawValue) AND key = \(key) FOR UPDATE
                    """, as: (String, Int?, String?, Data?, Double).self, logger: logger
                ).first
            else { return .inFlight }
            if row.0 != fingerprint { return .mismatch }
            if let status = row.1 {
                let headers = try JSONDecoder().decode([String: String].self, from: Data((row.2 ?? "{}").utf8))
                return .replay(StoredResponse(status: status, headers: headers, body: row.3 ?? Data()))
            }
            if Date(storedValue: row.4) > now.addingTimeInterval(-abandonAfter) { return .inFlight }
            try await connection.run(
                "UPDATE idempotency_keys SET created_at = \(now.storedValue) WHERE user_id = \(user.rawValue) AND key = \(key)",
                logger: logger)
            return .claimed
        }
    }

    public func complete(user: User.ID, key: String, response: StoredResponse) async throws {
        let headers = String(decoding: try JSONEncoder().encode(response.headers), as: UTF8.self)
        try await database.execute(
            """
            UPDATE idempotency_keys SET status = \(response.status), headers = \(headers), body = \(response.body)
            WHERE user_id = \(user.rawValue) AND key = \(key)
            """)
    }

    public func abandon(user: User.ID, key: String) async throws {
        try await database.execute(
            "DELETE FROM idempotency_keys WHERE user_id = \(user.rawValue) AND key = \(key) AND status IS NULL")
    }

    public func purge(before date: Date) async throws -> Int {
        try await database.execute("DELETE FROM idempotency_keys WHERE created_at < \(date.storedValue) RETURNING 1")
    }
}

public struct PostgresOutboxStore: OutboxStore {
    let database: PostgresBackend
    public init(database: PostgresBackend) { self.database = database }

    /// Claims due events for this instance: each is leased for a minute, so another
    /// instance's worker skips it, and takes it over if this one dies before delivering.
    public func due(at now: Date, limit: Int) async throws -> [OutboxEvent] {
        try await database.rows(
            """
            WITH claimed AS (
                SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= \(now.storedValue)
                ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            UPDATE outbox o SET next_attempt_at = \(now.storedValue + workerLease)
            FROM claimed WHERE o.id = claimed.id
            RETURNING o.id, o.event, o.payload, o.created_at, o.attempts
            """, as: (Int64, String, String, Double, Int).self, logger: database.logger
        ).sorted { $0.0 < $1.0 }.map {
            OutboxEvent(
                id: $0.0, event: $0.1, payload: try JSONText.decode([String: String].self, $0.2),
                createdAt: Date(storedValue: $0.3), attempts: $0.4)
        }
    }

    public func delivered(_ ids: [Int64], at date: Date) async throws {
        guard !ids.isEmpty else { return }
        try await database.execute("UPDATE outbox SET delivered_at = \(date.storedValue) WHERE id = ANY(\(ids))")
    }

    public func purgeDelivered(before date: Date) async throws -> Int {
        try await database.execute(
            "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < \(date.storedValue) RETURNING 1")
    }

    public func failed(_ id: Int64, error: String, retryAt: Date) async throws {
        try await database.execute(
            """
            UPDATE outbox SET attempts = attempts + 1, last_error = \(error), next_attempt_at = \(retryAt.storedValue)
            WHERE id = \(id)
            """)
    }
}

public struct PostgresPaymentAttemptStore: PaymentAttemptStore {
    let database: PostgresBackend
    public init(database: PostgresBackend) { self.database = database }

    public func open(_ attempt: PaymentAttempt) async throws {
        try await database.execute(
            """
            INSERT INTO payment_attempts (provider_key, user_id, hold_id, amount, currency, status, created_at)
            VALUES (\(attempt.providerKey), \(attempt.userId.rawValue), \(attempt.holdId.rawValue),
              \(attempt.amount.amount), \(attempt.amount.currency), 'open', \(attempt.createdAt.storedValue))
            ON CONFLICT DO NOTHING
            """)
    }

    public func settle(_ providerKey: String) async throws {
        try await database.execute(
            "UPDATE payment_attempts SET status = 'settled' WHERE provider_key = \(providerKey)")
    }

    /// Claims open attempts for this instance's reconciler, leased like outbox events.
    public func open(before date: Date, now: Date) async throws -> [PaymentAttempt] {
        try await database.rows(
            """
            WITH claimed AS (
                SELECT provider_key FROM payment_attempts
                WHERE status = 'open' AND created_at < \(date.storedValue) AND leased_until <= \(now.storedValue)
                ORDER BY created_at LIMIT 100 FOR UPDATE SKIP LOCKED)
            UPDATE payment_attempts a SET leased_until = \(now.storedValue + workerLease)
            FROM claimed WHERE a.provider_key = claimed.provider_key
            RETURNING a.provider_key, a.user_id, a.hold_id, a.amount, a.currency, a.created_at
            """, as: (String, String, String, Int64, String, Double).self, logger: database.logger
        ).sorted { $0.5 < $1.5 }.map {
            PaymentAttempt(
                providerKey: $0.0, userId: User.ID($0.1), holdId: Hold.ID($0.2),
                amount: Money(amount: $0.3, currency: $0.4), createdAt: Date(storedValue: $0.5))
        }
    }

    public func bookedPayment(forHold hold: Hold.ID) async throws -> (
        PaymentAuthorization.ID, PaymentAuthorization.Status
    )? {
        try await database.rows(
            "SELECT id, status FROM payments WHERE hold_id = \(hold.rawValue)", as: (String, String).self,
            logger: database.logger
        ).first.map { (PaymentAuthorization.ID($0.0), PaymentAuthorization.Status(rawValue: $0.1) ?? .authorized) }
    }
}
