import Foundation
import Logging
import MarqueeCore
import PostgresNIO

/// The seat inventory on PostgreSQL, for several instances at once. Every
/// command is a short transaction under READ COMMITTED; the holds of a batch
/// share one, as do its releases (group commit). Locks are always
/// taken in one order, so two transactions never wait on each other in a
/// circle: the buyer's advisory lock, hold rows (or a booking row), then seat
/// rows sorted by (show, seat). Each change is numbered from the
/// `seat_versions` sequence while its seats are locked (so a seat's later
/// changes always carry larger numbers, with no per-show row to queue on).
/// Once committed, it is announced on `marquee_seats` by the `SeatAnnouncer`,
/// in batches and outside the change's transaction: PostgreSQL serialises the
/// commits of every transaction that NOTIFYs, which would put all writes of all
/// instances in one line.
public struct PostgresSeatLedger: SeatLedger {
    static let channel = "marquee_seats"
    let database: PostgresBackend
    var logger: Logger { database.logger }

    public init(database: PostgresBackend) { self.database = database }

    /// One writer of many: batches and single commands run side by side on the
    /// pool, and the database, not a queue, orders them.
    public var groupsCommits: Bool { false }

    /// Holds of a batch share one transaction (`marquee_hold_batch`), releases
    /// another (`marquee_release_batch`): one round trip and one commit each.
    /// Other commands run side by side, each in its own transaction.
    public func apply(_ commands: [LedgerCommand]) async throws -> [Result<LedgerResult, BookingError>] {
        if commands.count == 1 { return [try await outcome(commands[0])] }
        var holds: [(Int, HoldDraft)] = []
        var releases: [(Int, Hold.ID, User.ID)] = []
        var others: [(Int, LedgerCommand)] = []
        var now = Date.distantPast
        for (index, command) in commands.enumerated() {
            switch command {
            case .hold(let draft, let at):
                holds.append((index, draft))
                now = max(now, at)
            case .release(let id, let user, let at):
                releases.append((index, id, user))
                now = max(now, at)
            default: others.append((index, command))
            }
        }
        if holds.count == 1, let (index, draft) = holds.first {
            holds = []
            others.append((index, .hold(draft, now: now)))
        }
        if releases.count == 1, let (index, id, user) = releases.first {
            releases = []
            others.append((index, .release(id, by: user, now: now)))
        }
        let (batchedHolds, batchedReleases, rest, at) = (holds, releases, others, now)
        let results = try await withThrowingTaskGroup(of: [(Int, Result<LedgerResult, BookingError>)].self) { group in
            if !batchedHolds.isEmpty {
                group.addTask {
                    zip(batchedHolds.map(\.0), try await holdBatch(batchedHolds.map(\.1), now: at)).map { ($0, $1) }
                }
            }
            if !batchedReleases.isEmpty {
                group.addTask {
                    zip(
                        batchedReleases.map(\.0),
                        try await releaseBatch(batchedReleases.map { ($0.1, $0.2) }, now: at)
                    ).map { ($0, $1) }
                }
            }
            for (index, command) in rest {
                group.addTask { [(index, try await outcome(command))] }
            }
            var results: [(Int, Result<LedgerResult, BookingError>)] = []
            for try await part in group { results += part }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return results
    }

    /// One command in its own transaction; a broken rule is its result, not an error.
    /// What it changed is announced to the other instances after it committed.
    private func outcome(_ command: LedgerCommand) async throws -> Result<LedgerResult, BookingError> {
        do {
            let result = try await run(command)
            database.announcer.announce(result.deltas)
            return .success(result)
        } catch let error as BookingError {
            return .failure(error)
        }
    }

    private func run(_ command: LedgerCommand) async throws -> LedgerResult {
        switch command {
        case .hold(let draft, let now): .held(draft.hold, try await hold(draft, now: now))
        case .release(let id, let user, let now): try await release(id, by: user, now: now)
        case .expire(let now, let limit): try await expire(now: now, limit: limit)
        case .load(let show): .loaded(try await load(show))
        case .confirm(let draft, let now): try await confirm(draft, now: now)
        case .cancel(let booking, let user, let refund, let refundId, let now):
            try await cancel(booking, by: user, refund: refund, refundId: refundId, now: now)
        }
    }

    // MARK: Hold

    private func hold(_ draft: HoldDraft, now: Date) async throws -> SeatDelta {
        let hold = draft.hold
        // One statement, one round trip: the function `marquee_hold` (migration 013) does it all.
        let rows = try await database.rows(
            """
            SELECT outcome, detail, version FROM marquee_hold(
              \(hold.id.rawValue), \(hold.showId.rawValue), \(hold.userId.rawValue), \(hold.seatIds.map(\.rawValue).sorted()),
              \(draft.linesJSON), \(hold.total.amount), \(hold.total.currency), \(hold.createdAt.storedValue),
              \(hold.expiresAt.storedValue), \(now.storedValue), \(draft.maxLiveHolds), \(draft.eventJSON))
            """, as: (String, String?, Int64).self, logger: logger)
        guard let row = rows.first else { throw UnexpectedAnswer("marquee_hold answered nothing") }
        return try Self.held(draft, row)
    }

    /// Several holds in one transaction (`marquee_hold_batch`, migration 017), each
    /// all-or-nothing on its own; announced once committed.
    private func holdBatch(_ drafts: [HoldDraft], now: Date) async throws -> [Result<LedgerResult, BookingError>] {
        let holds = drafts.map(\.hold)
        let seats = holds.map { $0.seatIds.map(\.rawValue).sorted() }
        let seatShows = zip(holds, seats).flatMap { hold, seats in seats.map { _ in hold.showId.rawValue } }
        let rows = try await database.rows(
            """
            SELECT outcome, detail, version FROM marquee_hold_batch(
              \(holds.map(\.id.rawValue)), \(holds.map(\.showId.rawValue)), \(holds.map(\.userId.rawValue)),
              \(seats.map { Int32($0.count) }), \(seatShows), \(seats.flatMap { $0 }), \(drafts.map(\.linesJSON)),
              \(holds.map(\.total.amount)), \(holds.map(\.total.currency)), \(holds.map(\.createdAt.storedValue)),
              \(holds.map(\.expiresAt.storedValue)), \(now.storedValue), \(drafts.map { Int64($0.maxLiveHolds) }),
              \(drafts.map(\.eventJSON)))
            """, as: (String, String?, Int64).self, logger: logger)
        guard rows.count == drafts.count else {
            throw UnexpectedAnswer("marquee_hold_batch answered \(rows.count) rows for \(drafts.count) holds")
        }
        let results = zip(drafts, rows).map { draft, row -> Result<LedgerResult, BookingError> in
            do {
                return .success(.held(draft.hold, try Self.held(draft, row)))
            } catch let error as BookingError {
                return .failure(error)
            } catch {
                return .failure(.seatsUnavailable(unavailable: draft.hold.seatIds, suggested: []))
            }
        }
        database.announcer.announce(results.flatMap { (try? $0.get())?.deltas ?? [] })
        return results
    }

    /// What one row of `marquee_hold` says: the change made, or the rule it broke.
    private static func held(_ draft: HoldDraft, _ row: (String, String?, Int64)) throws -> SeatDelta {
        let hold = draft.hold
        let (outcome, detail, version) = row
        let state = SeatState(status: .held, holdId: hold.id, holderId: hold.userId, expiresAt: hold.expiresAt)
        let changed = Dictionary(uniqueKeysWithValues: hold.seatIds.map { ($0, state) })
        switch outcome {
        case "held": break
        case "hold_exists": throw BookingError.holdExists(Hold.ID(detail ?? ""))
        case "hold_limit": throw BookingError.holdLimitReached(max: draft.maxLiveHolds)
        default:
            let taken = (detail ?? "").split(separator: ",").map { Seat.ID(String($0)) }
            throw BookingError.seatsUnavailable(unavailable: taken, suggested: [])
        }
        return SeatDelta(showId: hold.showId, version: version, seats: changed)
    }

    // MARK: Release and expiry

    /// One round trip: the function `marquee_release` (migration 014).
    private typealias ReleaseRow = (String, String?, String?, Int64, String?, Double, Double, String?, Int64, String?)

    private func release(_ id: Hold.ID, by user: User.ID, now: Date) async throws -> LedgerResult {
        let rows = try await database.rows(
            """
            SELECT outcome, show_id, seats, total_amount, currency, created_at, expires_at, status, version, freed
            FROM marquee_release(\(id.rawValue), \(user.rawValue), \(now.storedValue))
            """, as: ReleaseRow.self, logger: logger)
        guard let row = rows.first else { throw UnexpectedAnswer("marquee_release answered nothing") }
        return try Self.released(id, by: user, row)
    }

    /// Several releases in one transaction (`marquee_release_batch`, migration 018).
    private func releaseBatch(_ releases: [(Hold.ID, User.ID)], now: Date) async throws
        -> [Result<LedgerResult, BookingError>]
    {
        let rows = try await database.rows(
            """
            SELECT outcome, show_id, seats, total_amount, currency, created_at, expires_at, status, version, freed
            FROM marquee_release_batch(\(releases.map(\.0.rawValue)), \(releases.map(\.1.rawValue)), \(now.storedValue))
            """, as: ReleaseRow.self, logger: logger)
        guard rows.count == releases.count else {
            throw UnexpectedAnswer("marquee_release_batch answered \(rows.count) rows for \(releases.count) releases")
        }
        let results = zip(releases, rows).map { release, row -> Result<LedgerResult, BookingError> in
            do {
                return .success(try Self.released(release.0, by: release.1, row))
            } catch let error as BookingError {
                return .failure(error)
            } catch {
                return .failure(.notFound("hold", release.0.rawValue))
            }
        }
        database.announcer.announce(results.flatMap { (try? $0.get())?.deltas ?? [] })
        return results
    }

    /// What one row of `marquee_release` says.
    private static func released(_ id: Hold.ID, by user: User.ID, _ row: ReleaseRow) throws -> LedgerResult {
        guard row.0 != "not_found", let show = row.1, let lines = row.2, let currency = row.4, let status = row.7
        else { throw BookingError.notFound("hold", id.rawValue) }
        let record = HoldRecord(
            id: id, showId: Show.ID(show), userId: user, linesJSON: lines,
            total: Money(amount: row.3, currency: currency),
            createdAt: Date(storedValue: row.5), expiresAt: Date(storedValue: row.6),
            status: Hold.Status(rawValue: status) ?? .expired)
        if record.status == .confirmed { throw BookingError.holdNotActive(id, .confirmed) }
        guard row.0 == "released", let freed = row.9, !freed.isEmpty else { return .released(record, nil) }
        let seats = Dictionary(
            uniqueKeysWithValues: freed.split(separator: ",").map { (Seat.ID(String($0)), SeatState.available) })
        return .released(record, SeatDelta(showId: record.showId, version: row.8, seats: seats))
    }

    /// One round trip: the function `marquee_expire` (migration 015).
    private func expire(now: Date, limit: Int) async throws -> LedgerResult {
        let rows = try await database.rows(
            "SELECT hold_id, show_id, seat_id, version FROM marquee_expire(\(now.storedValue), \(limit))",
            as: (String, String, String?, Int64).self, logger: logger)
        var freed: [String: [Seat.ID: SeatState]] = [:]
        for case (_, let show, let seat?, _) in rows { freed[show, default: [:]][Seat.ID(seat)] = .available }
        let version = rows.first?.3 ?? 0
        let deltas = freed.keys.sorted().map { SeatDelta(showId: Show.ID($0), version: version, seats: freed[$0]!) }
        return .expired(deltas, holds: Set(rows.map(\.0)).count)
    }

    /// The number of the next seat change; draw it only with the changed seats locked.
    static func nextVersion(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.rows("SELECT nextval('seat_versions')", as: Int64.self, logger: logger).first ?? 0
    }

    /// The change a transaction made, for `announce` once it has committed.
    static func announce(
        _ show: Show.ID, version: Int64, seats: [Seat.ID: SeatState], _ connection: PostgresConnection, logger: Logger
    ) async throws -> SeatDelta {
        SeatDelta(showId: show, version: version, seats: seats)
    }

    // MARK: Reading

    /// The buyer holding seat `s`, looked up by the hold's key for held seats only.
    /// (A join with `holds` was planned as a hash join over the whole table while
    /// PostgreSQL still thought it small: every board read scanned every hold ever made.)
    static let holderOfSeat =
        "CASE WHEN s.hold_id IS NOT NULL THEN (SELECT h.user_id FROM holds h WHERE h.id = s.hold_id) END"

    private func load(_ show: Show.ID) async throws -> ShowSeats? {
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

    // MARK: Notices

    /// Separators of a notice: between seats, and between a seat's fields.
    static let seatSeparator: Character = "\u{1E}"
    static let fieldSeparator: Character = "\u{1F}"

    /// What a NOTIFY carries after the origin and the version: the show, then per
    /// changed seat its id, status code, hold, holder and expiry, written by hand
    /// (every instance reads every change). Only the show, meaning "reload it",
    /// when the seats would not fit in a notification or an id holds a separator.
    static func notice(show: Show.ID, seats: [MarqueeCore.Seat.ID: SeatState]) -> String {
        var text = show.rawValue
        for (id, state) in seats {
            let fields = [
                id.rawValue, String(state.status.code), state.holdId?.rawValue ?? "", state.holderId?.rawValue ?? "",
                state.expiresAt.map { String($0.storedValue) } ?? "",
            ]
            if fields.contains(where: { $0.contains(seatSeparator) || $0.contains(fieldSeparator) }) {
                return show.rawValue
            }
            text.append(seatSeparator)
            text += fields.joined(separator: String(fieldSeparator))
        }
        return text.utf8.count < 7000 ? text : show.rawValue
    }

    /// A notification's payload (`origin version notice`) back into a change; a
    /// change with no seats means "reload this show".
    public static func delta(fromNotification payload: String) -> SeatDelta? {
        let parts = payload.split(separator: " ", maxSplits: 2)
        guard parts.count == 3, let version = Int64(parts[1]) else { return nil }
        let records = parts[2].split(separator: seatSeparator, omittingEmptySubsequences: false)
        guard let show = records.first, !show.isEmpty else { return nil }
        var seats: [MarqueeCore.Seat.ID: SeatState] = [:]
        for record in records.dropFirst() {
            let field = record.split(separator: fieldSeparator, omittingEmptySubsequences: false)
            guard field.count == 5, let code = Int(field[1]) else { return nil }
            seats[MarqueeCore.Seat.ID(String(field[0]))] = SeatState(
                status: SeatStatus(code: code) ?? .blocked, holdId: field[2].isEmpty ? nil : Hold.ID(String(field[2])),
                holderId: field[3].isEmpty ? nil : User.ID(String(field[3])),
                expiresAt: Double(field[4]).map { Date(storedValue: $0) })
        }
        return SeatDelta(showId: Show.ID(String(show)), version: version, seats: seats)
    }
}
