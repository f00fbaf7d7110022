import Foundation
import Logging
import MarqueeCore
import PostgresNIO

/// Reading the seat inventory: boards, holds, counts and the invariant check.
extension PostgresSeatLedger {

    /// The buyer holding seat `s`, looked up by the hold's key for held seats only.
    /// (A join with `holds` was planned as a hash join over the whole table while
    /// PostgreSQL still thought it small: every board read scanned every hold ever made.)
    static let holderOfSeat =
        "CASE WHEN s.hold_id IS NOT NULL THEN (SELECT h.user_id FROM holds h WHERE h.id = s.hold_id) END"

    func load(_ show: Show.ID) async throws -> ShowSeats? {
        // One statement, one snapshot: the version and the seats agree.
        let rows = try await database.rows(
            """
            SELECT s.version, s.seat_id, s.status, s.hold_id, s.expires_at, \(unescaped: Self.holderOfSeat)
            FROM shows sh LEFT JOIN show_seats s ON s.show_id = sh.id
            WHERE sh.id = \(show.rawValue)
            """, as: (Int64?, String?, Int?, String?, Double?, String?).self, logger: logger)
        guard !rows.isEmpty else { return nil }
        return Self.showSeats(show, rows)
    }

    /// Only the seats whose change is numbered after `version`: what a board's
    /// periodic re-read needs, usually nothing.
    public func seats(of show: Show.ID, changedAfter version: Int64) async throws -> ShowSeats? {
        let rows = try await database.rows(
            """
            SELECT s.version, s.seat_id, s.status, s.hold_id, s.expires_at, \(unescaped: Self.holderOfSeat)
            FROM show_seats s
            WHERE s.show_id = \(show.rawValue) AND s.version > \(version)
            """, as: (Int64?, String?, Int?, String?, Double?, String?).self, logger: logger)
        return Self.showSeats(show, rows)
    }

    private static func showSeats(_ show: Show.ID, _ rows: [(Int64?, String?, Int?, String?, Double?, String?)])
        -> ShowSeats
    {
        var seats: [Seat.ID: SeatState] = [:]
        var stamps: [Seat.ID: Int64] = [:]
        for row in rows {
            guard let seat = row.1, let status = row.2 else { continue }
            seats[Seat.ID(seat)] = SeatState(
                status: SeatStatus(code: status) ?? .blocked, holdId: row.3.map { Hold.ID($0) },
                holderId: row.5.map { User.ID($0) }, expiresAt: row.4.map { Date(storedValue: $0) })
            stamps[Seat.ID(seat)] = row.0 ?? 0
        }
        return ShowSeats(showId: show, version: stamps.values.max() ?? 0, seats: seats, stamps: stamps)
    }

    static func fetchRecord(_ id: Hold.ID, lock: Bool, _ connection: PostgresConnection, logger: Logger) async throws
        -> HoldRecord?
    {
        let rows = try await connection.rows(
            """
            SELECT show_id, user_id, seats, total_amount, currency, created_at, expires_at, status
            FROM holds WHERE id = \(id.rawValue) \(unescaped: lock ? "FOR UPDATE" : "")
            """, as: (String, String, String, Int64, String, Double, Double, String).self, logger: logger)
        return rows.first.map {
            HoldRecord(
                id: id, showId: Show.ID($0.0), userId: User.ID($0.1), linesJSON: $0.2,
                total: Money(amount: $0.3, currency: $0.4), createdAt: Date(storedValue: $0.5),
                expiresAt: Date(storedValue: $0.6), status: Hold.Status(rawValue: $0.7) ?? .expired)
        }
    }

    public func hold(_ id: Hold.ID) async throws -> Hold? {
        try await database.withConnection { connection in
            try await Self.fetchRecord(id, lock: false, connection, logger: logger)
        }?.hold()
    }

    public func availableCounts(_ shows: [Show.ID], now: Date) async throws -> [Show.ID: Int] {
        guard !shows.isEmpty else { return [:] }
        var counts = Dictionary(uniqueKeysWithValues: shows.map { ($0, 0) })
        for (show, count) in try await database.rows(
            """
            SELECT show_id, count(*)::bigint FROM show_seats
            WHERE show_id = ANY(\(shows.map(\.rawValue))) AND (status = 0 OR (status = 1 AND expires_at <= \(now.storedValue)))
            GROUP BY show_id
            """, as: (String, Int).self, logger: logger)
        {
            counts[Show.ID(show)] = count
        }
        return counts
    }

    public func invariantViolations(now: Date) async throws -> [String] {
        let orphans = try await database.rows(
            """
            SELECT s.show_id, s.seat_id FROM show_seats s LEFT JOIN holds h ON h.id = s.hold_id
            WHERE s.status = 1 AND (h.id IS NULL OR h.show_id <> s.show_id OR h.status <> 'active')
            """, as: (String, String).self, logger: logger)
        var problems = orphans.map { "seat \($0.0)/\($0.1) held by missing or ended hold" }
        let live = try await database.rows(
            """
            SELECT h.id, h.show_id, h.seats, (
              SELECT count(*) FROM show_seats s WHERE s.show_id = h.show_id AND s.hold_id = h.id AND s.status = 1)
            FROM holds h WHERE h.status = 'active' AND h.expires_at > \(now.storedValue)
            """, as: (String, String, String, Int).self, logger: logger)
        var owner: [String: String] = [:]
        for (id, show, seats, owned) in live {
            let lines = try JSONText.decode([Hold.Line].self, seats)
            if owned != lines.count { problems.append("live hold \(id) owns \(owned) of its \(lines.count) seats") }
            for line in lines {
                let key = "\(show)/\(line.id)"
                if let other = owner[key] { problems.append("seat \(key) in live holds \(other) and \(id)") }
                owner[key] = id
            }
        }
        return problems
    }
}
