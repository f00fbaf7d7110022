import Foundation
import GRDB
import MarqueeCore
import MarqueeStore
import MarqueeTestSupport
import PostgresNIO
import Testing

/// The backends the store's contract tests run on: SQLite always, PostgreSQL
/// wherever its server binaries are installed (a scratch cluster is started).
enum StoreBackend: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static let postgresInstalled = ScratchPostgres.binaries() != nil
    /// Every backend this machine can run; .ci/run installs PostgreSQL so CI runs both.
    static let testable: [StoreBackend] = postgresInstalled ? [.sqlite, .postgres] : [.sqlite]
}

/// A fresh database (an SQLite file in a temporary directory, or a new database
/// on the scratch PostgreSQL cluster) with one small show: rows A-E of ten
/// seats, an aisle after seat 5, Silver at the front, Gold behind.
struct StoreFixture {
    static let start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-19T09:46:40Z
    let directory: URL
    let location: DatabaseLocation
    let stores: Stores
    let clock = ManualTimeSource(StoreFixture.start)
    let show: Show
    let screen: Screen
    let inventory: SeatInventory

    init(_ backend: StoreBackend = .sqlite, ttl: TimeInterval = 600) async throws {
        directory = ScratchDirectory.make("store")
        switch backend {
        case .sqlite: location = .sqlite(path: directory.appendingPathComponent("marquee.sqlite").path)
        case .postgres:
            location = .postgres(url: try await ScratchPostgres.shared.createDatabase(), poolSize: 12)
        }
        stores = try await Stores.open(location, logger: Logger(label: "test"))
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
        try await stores.catalog.save(
            CatalogContent(cities: [city], venues: [venue], screens: [screen], movies: [movie], shows: [show]))
        inventory = SeatInventory(
            ledger: stores.ledger, clock: clock, ids: SequentialIdentifierSource(),
            policy: HoldPolicy(ttl: ttl))
    }

    func hold(_ seats: [Seat.ID], for user: User.ID) async throws -> Hold {
        try await inventory.hold(
            seatIds: seats, of: show, layout: screen.layout, index: screen.layout.indexById(), for: user)
    }

    /// Seat statuses straight from the database, bypassing every cache.
    func storedStatuses() async throws -> [String: Int] {
        var statuses: [String: Int] = [:]
        for (seat, status) in try await pairs(
            "SELECT seat_id, CAST(status AS TEXT) FROM show_seats WHERE show_id = '\(show.id)'")
        {
            statuses[seat] = Int(status)
        }
        return statuses
    }

    /// Two text columns of a query's rows, on either backend.
    func pairs(_ sql: String) async throws -> [(String, String)] {
        switch stores.backend {
        case .sqlite(let database):
            return try await database.pool.read { db in
                try Row.fetchAll(db, sql: sql).map { ($0[0] as String, $0[1] as String) }
            }
        case .postgres(let database):
            var out: [(String, String)] = []
            for try await row in try await database.client.query(PostgresQuery(unsafeSQL: sql)).decode(
                (String, String).self)
            {
                out.append(row)
            }
            return out
        }
    }

    func violations() async throws -> [String] {
        try await stores.ledger.invariantViolations(now: clock.now)
    }
}

@Suite struct PostgresAvailabilityTests {
    /// Says plainly when the PostgreSQL half of the contract tests did not run.
    @Test func theScratchClusterStartsWhereverPostgresIsInstalled() async {
        guard StoreBackend.postgresInstalled else {
            withKnownIssue(
                "PostgreSQL server binaries are not installed: the store tests ran on SQLite only (apt install postgresql)"
            ) {
                Issue.record("PostgreSQL tests did not run")
            }
            return
        }
        if case .unavailable(let why) = await ScratchPostgres.shared.availability() {
            Issue.record("PostgreSQL is installed but a scratch cluster did not start: \(why)")
        }
    }
}
