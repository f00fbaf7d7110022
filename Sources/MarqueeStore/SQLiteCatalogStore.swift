import Foundation
import GRDB
import MarqueeCore

public struct SQLiteCatalogStore: CatalogStore {
    let database: MarqueeDatabase

    public init(database: MarqueeDatabase) { self.database = database }

    public func save(_ content: CatalogContent) async throws {
        try await database.pool.write { db in
            for city in content.cities {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO cities VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        city.id.rawValue, city.name, city.country, city.timeZone, city.currency, city.latitude,
                        city.longitude,
                    ])
            }
            for venue in content.venues {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO venues VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        venue.id.rawValue, venue.cityId.rawValue, venue.name, venue.address, venue.latitude,
                        venue.longitude,
                    ])
            }
            for screen in content.screens {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO screens VALUES (?, ?, ?, ?)",
                    arguments: [
                        screen.id.rawValue, screen.venueId.rawValue, screen.name, try JSONText.encode(screen.layout),
                    ])
            }
            for movie in content.movies {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO movies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        movie.id.rawValue, movie.title, movie.kind, try JSONText.encode(movie.genres), movie.language,
                        movie.durationMinutes, movie.certification, movie.releaseDate, movie.synopsis,
                    ])
            }
            let layouts = Dictionary(uniqueKeysWithValues: content.screens.map { ($0.id, $0.layout) })
            let insertSeat = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO show_seats (show_id, seat_id) VALUES (?, ?)")
            for show in content.shows {
                try db.execute(
                    sql: """
                        INSERT INTO shows (id, movie_id, venue_id, screen_id, starts_at, ends_at, prices)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET movie_id = excluded.movie_id, venue_id = excluded.venue_id,
                          screen_id = excluded.screen_id, starts_at = excluded.starts_at,
                          ends_at = excluded.ends_at, prices = excluded.prices
                        """,
                    arguments: [
                        show.id.rawValue, show.movieId.rawValue, show.venueId.rawValue, show.screenId.rawValue,
                        show.startsAt.storedValue, show.endsAt.storedValue, try JSONText.encode(Prices(show.prices)),
                    ])
                guard let layout = try layouts[show.screenId] ?? Self.layout(of: show.screenId, db) else { continue }
                for seat in layout.seats {
                    try insertSeat.execute(arguments: [show.id.rawValue, seat.id.rawValue])
                }
            }
        }
    }

    public func loadCatalog(showsEndingAfter: Date) async throws -> CatalogIndex {
        try await database.pool.read { db in
            let cities = try Row.fetchAll(db, sql: "SELECT * FROM cities").map { row in
                City(
                    id: City.ID(row["id"]), name: row["name"], country: row["country"], timeZone: row["time_zone"],
                    currency: row["currency"], latitude: row["latitude"], longitude: row["longitude"])
            }
            let zones = Dictionary(uniqueKeysWithValues: cities.map { ($0.id, $0.timeZone) })
            let venues = try Row.fetchAll(db, sql: "SELECT * FROM venues").map { row in
                let cityId = City.ID(row["city_id"])
                return Venue(
                    id: Venue.ID(row["id"]), cityId: cityId, name: row["name"], address: row["address"],
                    latitude: row["latitude"], longitude: row["longitude"], timeZone: zones[cityId] ?? "UTC")
            }
            let venueZones = Dictionary(uniqueKeysWithValues: venues.map { ($0.id, $0.timeZone) })
            let screens = try Row.fetchAll(db, sql: "SELECT * FROM screens").map { row in
                Screen(
                    id: Screen.ID(row["id"]), venueId: Venue.ID(row["venue_id"]), name: row["name"],
                    layout: try JSONText.decode(SeatLayout.self, row["layout"]))
            }
            let movies = try Row.fetchAll(db, sql: "SELECT * FROM movies").map { row in
                Movie(
                    id: Movie.ID(row["id"]), title: row["title"], kind: row["kind"],
                    genres: try JSONText.decode([String].self, row["genres"]), language: row["language"],
                    durationMinutes: row["duration_minutes"], certification: row["certification"],
                    releaseDate: row["release_date"], synopsis: row["synopsis"])
            }
            let shows = try Row.fetchAll(
                db, sql: "SELECT * FROM shows WHERE ends_at > ?", arguments: [showsEndingAfter.storedValue]
            ).map { row in
                let venueId = Venue.ID(row["venue_id"])
                return Show(
                    id: Show.ID(row["id"]), movieId: Movie.ID(row["movie_id"]), venueId: venueId,
                    screenId: Screen.ID(row["screen_id"]), startsAt: Date(storedValue: row["starts_at"]),
                    endsAt: Date(storedValue: row["ends_at"]), timeZone: venueZones[venueId] ?? "UTC",
                    prices: try JSONText.decode(Prices.self, row["prices"]).byCategory)
            }
            return CatalogIndex(cities: cities, venues: venues, screens: screens, movies: movies, shows: shows)
        }
    }

    private static func layout(of screen: Screen.ID, _ db: Database) throws -> SeatLayout? {
        guard
            let text = try String.fetchOne(
                db, sql: "SELECT layout FROM screens WHERE id = ?", arguments: [screen.rawValue])
        else { return nil }
        return try JSONText.decode(SeatLayout.self, text)
    }
}

/// Prices by category as stored: a JSON object keyed by category id.
struct Prices: Codable {
    var byCategory: [SeatCategory.ID: Money]
    init(_ byCategory: [SeatCategory.ID: Money]) { self.byCategory = byCategory }
    init(from decoder: any Decoder) throws {
        let raw = try [String: Money](from: decoder)
        byCategory = Dictionary(uniqueKeysWithValues: raw.map { (SeatCategory.ID($0.key), $0.value) })
    }
    func encode(to encoder: any Encoder) throws {
        try Dictionary(uniqueKeysWithValues: byCategory.map { ($0.key.rawValue, $0.value) }).encode(to: encoder)
    }
}

/// JSON columns: compact and with sorted keys so the same value stores the same text.
enum JSONText {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
