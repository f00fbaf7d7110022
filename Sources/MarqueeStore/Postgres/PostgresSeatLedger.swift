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
