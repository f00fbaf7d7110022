import Foundation
import GRDB
import MarqueeCore
import MarqueeStore

/// A fresh SQLite database in a temporary directory with one small show:
/// rows A-E of ten seats, an aisle after seat 5, Silver at the front, Gold behind.
struct StoreFixture {
    static let start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-19T09:46:40Z
    let directory: URL
    let database: MarqueeDatabase
    let clock = ManualTimeSource(StoreFixture.start)
    let show: Show
    let screen: Screen
    let inventory: SeatInventory

    init(ttl: TimeInterval = 600) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-store-\(UUID().uuidString)")
        database = try MarqueeDatabase(path: directory.appendingPathComponent("marquee.sqlite").path)
        var seats: [Seat] = []
        for (y, row) in ["A", "B", "C", "D", "E"].enumerated() {
            for number in 1...10 {
                seats.append(
                    Seat(
                        row: row, number: number, x: number <= 5 ? number - 1 : number, y: y,
                        category: y < 3 ? "silver" : "gold"))
            }
        }
        let layout = SeatLayout(
            categories: [
                SeatCategory(id: "silver", name: "Silver", rank: 0), SeatCategory(id: "gold", name: "Gold", rank: 1),
            ],
            seats: seats)
        let city = City(
            id: "testville", name: "Testville", country: "IN", timeZone: "Asia/Kolkata", currency: "INR", latitude: 19,
            longitude: 72.8)
        let venue = Venue(
            id: "hall", cityId: city.id, name: "Hall", address: "1 Test Road", latitude: 19, longitude: 72.8,
            timeZone: city.timeZone)
        screen = Screen(id: "hall-1", venueId: venue.id, name: "Screen 1", layout: layout)
        let movie = Movie(
            id: "film", title: "Film", kind: "movie", genres: ["Drama"], language: "Hindi", durationMinutes: 120,
            certification: "U", releaseDate: "2026-01-01", synopsis: "A film.")
        show = Show(
            id: "hall-1-evening", movieId: movie.id, venueId: venue.id, screenId: screen.id,
            startsAt: Self.start + 86400, endsAt: Self.start + 86400 + 7200, timeZone: city.timeZone,
            prices: ["silver": Money(amount: 20000, currency: "INR"), "gold": Money(amount: 30000, currency: "INR")])
        try await SQLiteCatalogStore(database: database).save(
            CatalogContent(cities: [city], venues: [venue], screens: [screen], movies: [movie], shows: [show]))
        inventory = SeatInventory(
            ledger: SQLiteSeatLedger(database: database), clock: clock, ids: SequentialIdentifierSource(),
            policy: HoldPolicy(ttl: ttl))
    }

    func hold(_ seats: [Seat.ID], for user: User.ID) async throws -> Hold {
        try await inventory.hold(
            seatIds: seats, of: show, layout: screen.layout, index: screen.layout.indexById(), for: user)
    }

    /// Seat statuses straight from the database, bypassing every cache.
    func storedStatuses() async throws -> [String: Int] {
        try await database.pool.read { db in
            var statuses: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT seat_id, status FROM show_seats WHERE show_id = ?", arguments: [show.id.rawValue])
            {
                statuses[row["seat_id"]] = row["status"]
            }
            return statuses
        }
    }

    func violations() async throws -> [String] {
        try await SQLiteSeatLedger(database: database).invariantViolations(now: clock.now)
    }
}
