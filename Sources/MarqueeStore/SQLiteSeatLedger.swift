import Foundation
import GRDB
import MarqueeCore

public struct SQLiteSeatLedger: SeatLedger {
    let database: MarqueeDatabase

    public init(database: MarqueeDatabase) { self.database = database }

    public func apply(_ commands: [LedgerCommand]) async throws -> [Result<LedgerResult, BookingError>] {
        try await database.pool.write { db in
            try commands.map { command in
                var result: LedgerResult?
                do {
                    try db.inSavepoint {
                        result = try Self.run(command, db)
                        return .commit
                    }
                } catch let error as BookingError {
                    return .failure(error)
                }
                return .success(result!)
            }
        }
    }

    private static func run(_ command: LedgerCommand, _ db: Database) throws -> LedgerResult {
        switch command {
        case .hold(let draft, let now): .held(draft.hold, try hold(draft, now: now, db))
        case .release(let id, let user, let now): try release(id, by: user, now: now, db)
        case .expire(let now, let limit): try expire(now: now, limit: limit, db)
        case .load(let show): .loaded(try load(show, db))
        case .confirm(let draft, let now): try confirm(draft, now: now, db)
        case .cancel(let booking, let user, let refund, let refundId, let now):
            try cancel(booking, by: user, refund: refund, refundId: refundId, now: now, db)
        }
    }

    private static let free = "(status = 0 OR (status = 1 AND expires_at <= ?))"

    /// The all-or-nothing hold: one conditional UPDATE over the requested seats
    /// that succeeds only if it changed every one of them.
    private static func hold(_ draft: HoldDraft, now: Date, _ db: Database) throws -> SeatDelta {
        let hold = draft.hold
        let show = hold.showId.rawValue
        // The buyer's live holds: one per show, and only a few at a time.
        let live = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT id, show_id FROM holds WHERE user_id = ? AND status = 'active' AND expires_at > ?"),
            arguments: [hold.userId.rawValue, now.storedValue])
        if let existing = live.first(where: { $0["show_id"] as String == show }) {
            throw BookingError.holdExists(Hold.ID(existing["id"]))
        }
        if live.count >= draft.maxLiveHolds { throw BookingError.holdLimitReached(max: draft.maxLiveHolds) }
        let seats = hold.seatIds.map(\.rawValue)
        let marks = databaseQuestionMarks(count: seats.count)
        try db.cachedStatement(
            sql: """
                UPDATE show_seats SET status = 1, hold_id = ?, expires_at = ?
                WHERE show_id = ? AND seat_id IN (\(marks)) AND \(free)
                """
        ).execute(
            arguments: StatementArguments(
                [hold.id.rawValue, hold.expiresAt.storedValue, show] + seats + [now.storedValue]))
        if db.changesCount != seats.count {
            // The savepoint rolls back the seats this statement did take; name the others.
            let taken = try String.fetchAll(
                db,
                sql: """
                    SELECT seat_id FROM show_seats WHERE show_id = ? AND seat_id IN (\(marks))
                    AND NOT \(free) AND hold_id IS NOT ?
                    """,
                arguments: StatementArguments([show] + seats + [now.storedValue, hold.id.rawValue]))
            let present = try String.fetchAll(
                db, sql: "SELECT seat_id FROM show_seats WHERE show_id = ? AND seat_id IN (\(marks))",
                arguments: StatementArguments([show] + seats))
            let missing = seats.filter { !present.contains($0) }
            throw BookingError.seatsUnavailable(unavailable: (taken + missing).map { Seat.ID($0) }, suggested: [])
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO holds (id, show_id, user_id, seats, total_amount, currency, created_at, expires_at, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active')
                """
        ).execute(arguments: [
            hold.id.rawValue, show, hold.userId.rawValue, draft.linesJSON, hold.total.amount,
            hold.total.currency, hold.createdAt.storedValue, hold.expiresAt.storedValue,
        ])
        try recordEvent("hold_created", payload: draft.eventJSON, now: now, db)
        let state = SeatState(status: .held, holdId: hold.id, holderId: hold.userId, expiresAt: hold.expiresAt)
        return SeatDelta(
            showId: hold.showId, version: try bumpVersion(show, db),
            seats: Dictionary(uniqueKeysWithValues: hold.seatIds.map { ($0, state) }))
    }

    private static func release(_ id: Hold.ID, by user: User.ID, now: Date, _ db: Database) throws -> LedgerResult {
        guard var record = try fetchRecord(id, db), record.userId == user else {
            throw BookingError.notFound("hold", id.rawValue)
        }
        switch record.status {
        case .confirmed: throw BookingError.holdNotActive(id, .confirmed)
        case .released, .expired: return .released(record, nil)
        case .active:
            // A hold that ran out but was not swept yet is recorded as expired, not released.
            record.status = record.expiresAt <= now ? .expired : .released
            return .released(record, try end(id, of: record.showId, as: record.status, now: now, db))
        }
    }

    private static func expire(now: Date, limit: Int, _ db: Database) throws -> LedgerResult {
        let due = try Row.fetchAll(
            db.cachedStatement(
                sql:
                    "SELECT id, show_id FROM holds WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at LIMIT ?"
            ),
            arguments: [now.storedValue, limit])
        var deltas: [SeatDelta] = []
        for row in due {
            if let delta = try end(Hold.ID(row["id"]), of: Show.ID(row["show_id"]), as: .expired, now: now, db) {
                deltas.append(delta)
            }
        }
        return .expired(deltas, holds: due.count)
    }

    /// Ends a live hold: frees the seats it still owns and records why it ended.
    private static func end(_ hold: Hold.ID, of show: Show.ID, as status: Hold.Status, now: Date, _ db: Database) throws
        -> SeatDelta?
    {
        let freed = try String.fetchAll(
            db.cachedStatement(
                sql: """
                    UPDATE show_seats SET status = 0, hold_id = NULL, expires_at = NULL
                    WHERE hold_id = ? AND status = 1 RETURNING seat_id
                    """),
            arguments: [hold.rawValue])
        try db.cachedStatement(sql: "UPDATE holds SET status = ?, ended_at = ? WHERE id = ?")
            .execute(arguments: [status.rawValue, now.storedValue, hold.rawValue])
        try recordEvent(
            status == .expired ? "hold_expired" : "hold_released",
            payload: HoldDraft.eventJSON(hold: hold, show: show, user: nil, seats: freed.map { Seat.ID($0) }), now: now,
            db)
        guard !freed.isEmpty else { return nil }
        return SeatDelta(
            showId: show, version: try bumpVersion(show.rawValue, db),
            seats: Dictionary(uniqueKeysWithValues: freed.map { (Seat.ID($0), SeatState.available) }))
    }

    private static func load(_ show: Show.ID, _ db: Database) throws -> ShowSeats? {
        guard
            let version = try Int64.fetchOne(
                db, sql: "SELECT seat_version FROM shows WHERE id = ?", arguments: [show.rawValue])
        else { return nil }
        var seats: [Seat.ID: SeatState] = [:]
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT s.seat_id, s.status, s.hold_id, s.expires_at, h.user_id FROM show_seats s
                LEFT JOIN holds h ON h.id = s.hold_id WHERE s.show_id = ?
                """,
            arguments: [show.rawValue])
        while let row = try rows.next() {
            let expiry: Double? = row["expires_at"]
            let holdId: String? = row["hold_id"]
            let holderId: String? = row["user_id"]
            seats[Seat.ID(row["seat_id"])] = SeatState(
                status: SeatStatus(code: row["status"]) ?? .blocked, holdId: holdId.map { Hold.ID($0) },
                holderId: holderId.map { User.ID($0) }, expiresAt: expiry.map { Date(storedValue: $0) })
        }
        return ShowSeats(showId: show, version: version, seats: seats)
    }

    /// An outbox event in the same transaction as the change it reports.
    static func recordEvent(_ event: String, payload: String, now: Date, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO outbox (event, payload, created_at) VALUES (?, ?, ?)")
            .execute(arguments: [event, payload, now.storedValue])
    }

    static func bumpVersion(_ show: String, _ db: Database) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(
                sql: "UPDATE shows SET seat_version = seat_version + 1 WHERE id = ? RETURNING seat_version"),
            arguments: [show]) ?? 0
    }

    /// A hold row with its seat lines still as stored, so the single writer never decodes them.
    private static func fetchRecord(_ id: Hold.ID, _ db: Database) throws -> HoldRecord? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM holds WHERE id = ?"), arguments: [id.rawValue])
        else { return nil }
        return HoldRecord(
            id: id, showId: Show.ID(row["show_id"]), userId: User.ID(row["user_id"]), linesJSON: row["seats"],
            total: Money(amount: row["total_amount"], currency: row["currency"]),
            createdAt: Date(storedValue: row["created_at"]), expiresAt: Date(storedValue: row["expires_at"]),
            status: Hold.Status(rawValue: row["status"]) ?? .expired)
    }

    public func hold(_ id: Hold.ID) async throws -> Hold? {
        try await database.pool.read { db in try Self.fetchRecord(id, db) }?.hold()
    }

    public func availableCounts(_ shows: [Show.ID], now: Date) async throws -> [Show.ID: Int] {
        guard !shows.isEmpty else { return [:] }
        return try await database.pool.read { db in
            var counts: [Show.ID: Int] = [:]
            for show in shows {
                counts[show] =
                    try Int.fetchOne(
                        db.cachedStatement(sql: "SELECT COUNT(*) FROM show_seats WHERE show_id = ? AND \(Self.free)"),
                        arguments: [show.rawValue, now.storedValue]) ?? 0
            }
            return counts
        }
    }

    public func invariantViolations(now: Date) async throws -> [String] {
        try await database.pool.read { db in
            // A held seat must point at a hold of the same show that covers it.
            let orphans = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.show_id, s.seat_id, s.hold_id FROM show_seats s
                    LEFT JOIN holds h ON h.id = s.hold_id
                    WHERE s.status = 1 AND (h.id IS NULL OR h.show_id <> s.show_id OR h.status <> 'active')
                    """)
            var problems = orphans.map {
                "seat \($0["show_id"] as String)/\($0["seat_id"] as String) held by missing or ended hold"
            }
            // No seat may be listed by two live holds.
            let live = try Row.fetchAll(
                db, sql: "SELECT id, show_id, seats FROM holds WHERE status = 'active' AND expires_at > ?",
                arguments: [now.storedValue])
            var owner: [String: String] = [:]
            for row in live {
                let show: String = row["show_id"]
                let id: String = row["id"]
                let lines = try JSONText.decode([Hold.Line].self, row["seats"])
                let owned =
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM show_seats WHERE hold_id = ? AND status = 1", arguments: [id])
                    ?? 0
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
}
