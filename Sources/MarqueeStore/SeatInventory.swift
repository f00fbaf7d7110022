import Foundation
import Logging
import MarqueeCore
import Synchronization

/// The seat-inventory engine: an in-memory board per show that turns away
/// requests for seats known to be taken, in front of a ledger that decides. On
/// SQLite all writes go through one queue that commits many of them per
/// transaction (group commit). On PostgreSQL holds and releases are queued the
/// same way but up to `lanes` batches run at once (each one transaction), other
/// writes are their own transactions, and changes also arrive from other
/// instances (`absorb`); every board seat remembers the show version that last
/// set it, so changes applied out of order never let an older state win. A board
/// not compared with the database for `refreshAfter` is re-read in the background
/// when next used, so a change whose announcement never came is seen in time.
public final class SeatInventory: Sendable {
    public let ledger: any SeatLedger
    public let clock: any TimeSource
    let ids: any IdentifierSource
    public let policy: HoldPolicy
    let logger: Logger
    let maxBatch: Int
    /// On a shared database, how old a board may get before it is compared with the
    /// database again; nil on SQLite, where this instance is the only writer.
    let refreshAfter: TimeInterval?
    /// How many batches may be written at once: one on SQLite (a single writer).
    let lanes: Int

    struct Board: Sendable {
        var seats: ShowSeats
        /// The version that last set each seat; seats not listed were set at or before `loadedAt`.
        var stamps: [Seat.ID: Int64] = [:]
        let loadedAt: Int64
        /// When the board was last read from the database.
        var checkedAt: Date
        var refreshing = false
        /// The version at the last two reads. A re-read asks for seats changed after
        /// the older, so a change in flight during the last one is not missed; only
        /// one in flight during the first load whose instance died before announcing it can be.
        var marks: (older: Int64, newer: Int64)
        /// Which seats were free, by position in the show's layout, as suggestions
        /// need them; nil once any seat changes (see `freeSeats(of:layout:now:in:)`).
        var freeMap: FreeMap?
    }

    /// A board's free seats by layout position, worked out once for the many
    /// buyers turned away from a hot show between two changes to it.
    struct FreeMap: Sendable {
        let free: [Bool]
        /// When the first hold still counted here runs out; from then on the map is worked out again.
        let validUntil: Date
    }

    struct Boards: Sendable {
        var shows: [Show.ID: Board] = [:]
        /// Recent changes, replayed onto a board read while they were in flight.
        var recent: [SeatDelta] = []
        /// Seats a hold on this instance has asked the ledger for and not yet heard
        /// back about, and whose hold: other buyers are turned away from them meanwhile
        /// rather than sent to lose the same race in the database.
        var claims: [Show.ID: [Seat.ID: User.ID]] = [:]
    }

    let boards = Mutex<Boards>(Boards())
    /// Board reads under way, one per show, shared by every request that needs it
    /// meanwhile: the first requests for a show (after a start, or after the boards
    /// were forgotten) must not each read the whole seat map from the database.
    private let loads = Mutex<[Show.ID: (token: UUID, read: Task<ShowSeats?, any Error>)]>([:])
    let queue = Mutex<WriteQueue>(WriteQueue())
    let observers = Mutex<[@Sendable ([SeatDelta]) -> Void]>([])
    private let resyncObservers = Mutex<[@Sendable (Set<Show.ID>?) -> Void]>([])

    public init(
        ledger: any SeatLedger, clock: any TimeSource, ids: any IdentifierSource, policy: HoldPolicy,
        logger: Logger = Logger(label: "marquee.inventory"), maxBatch: Int = 256, refreshAfter: TimeInterval = 30,
        lanes: Int = 2
    ) {
        self.refreshAfter = ledger.groupsCommits ? nil : refreshAfter
        self.lanes = ledger.groupsCommits ? 1 : max(1, lanes)
        self.ledger = ledger
        self.clock = clock
        self.ids = ids
        self.policy = policy
        self.logger = logger
        self.maxBatch = maxBatch
    }

    /// Called after every committed change, in commit order (live updates hook in here).
    public func observe(_ observer: @escaping @Sendable ([SeatDelta]) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Called when boards were dropped and re-read (nil: every show), so that
    /// live watchers get a fresh snapshot instead of deltas they may have missed.
    public func observeResync(_ observer: @escaping @Sendable (Set<Show.ID>?) -> Void) {
        resyncObservers.withLock { $0.append(observer) }
    }

    /// Changes committed by another instance (PostgreSQL NOTIFY). A change without
    /// seats says "too many to list": that show's board is read again.
    public func absorb(_ deltas: [SeatDelta]) {
        let reload = Set(deltas.filter(\.seats.isEmpty).map(\.showId))
        let changes = merge(deltas.filter { !$0.seats.isEmpty })
        if !reload.isEmpty {
            boards.withLock { boards in for show in reload { boards.shows[show] = nil } }
        }
        if !changes.isEmpty { for observer in observers.withLock({ $0 }) { observer(changes) } }
        if !reload.isEmpty { for observer in resyncObservers.withLock({ $0 }) { observer(reload) } }
    }

    /// Forgets every board (the feed of other instances' changes was interrupted):
    /// the next read of each show comes from the database.
    public func forgetBoards() {
        boards.withLock { $0 = Boards() }
        // A read begun before the feed broke may miss what changed since: later requests start afresh.
        loads.withLock { $0.removeAll() }
        for observer in resyncObservers.withLock({ $0 }) { observer(nil) }
    }

    // MARK: Reading

    /// The seats of a show as of the latest committed change.
    public func seats(of show: Show.ID) async throws -> ShowSeats? {
        let now = clock.now
        let (board, stale) = boards.withLock { boards -> (ShowSeats?, Bool) in
            guard let board = boards.shows[show] else { return (nil, false) }
            guard let refreshAfter, !board.refreshing, now.timeIntervalSince(board.checkedAt) >= refreshAfter else {
                return (board.seats, false)
            }
            boards.shows[show]?.refreshing = true
            return (board.seats, true)
        }
        if stale { Task { await self.refresh(show) } }
        if let board { return board }
        let read = loads.withLock { loads in
            if let load = loads[show] { return load.read }
            let token = UUID()
            let read = Task { () throws -> ShowSeats? in
                defer {
                    self.loads.withLock { loads in
                        if loads[show]?.token == token { loads[show] = nil }
                    }
                }
                guard case .loaded(let seats) = try await self.submit(.load(show)).get() else { return nil }
                return seats
            }
            loads[show] = (token, read)
            return read
        }
        return try await read.value
    }

    /// Reads a show's seats again and takes every seat the database changed after
    /// the board last heard of it; watchers are told what changed.
    func refresh(_ show: Show.ID) async {
        var loaded: ShowSeats?
        do {
            if let since = boards.withLock({ $0.shows[show]?.marks.older }) {
                loaded = try await ledger.seats(of: show, changedAfter: since)
            }
        } catch {
            let reason = DatabaseFailure.explain(error)
            logger.warning("re-reading a seat board failed", metadata: ["show": "\(show)", "error": "\(reason)"])
        }
        let now = clock.now
        let change = boards.withLock { boards -> SeatDelta? in
            guard var board = boards.shows[show] else { return nil }
            board.refreshing = false
            board.checkedAt = now
            var changed: [Seat.ID: SeatState] = [:]
            if let loaded {
                for (seat, state) in loaded.seats {
                    let stamp = loaded.stamps[seat] ?? loaded.version
                    guard stamp > (board.stamps[seat] ?? board.loadedAt) else { continue }
                    board.stamps[seat] = stamp
                    if board.seats.seats[seat] != state {
                        board.seats.seats[seat] = state
                        changed[seat] = state
                    }
                }
                board.seats.version = max(board.seats.version, loaded.version)
                board.marks = (board.marks.newer, board.seats.version)
            }
            if !changed.isEmpty { board.freeMap = nil }
            boards.shows[show] = board
            return changed.isEmpty ? nil : SeatDelta(showId: show, version: board.seats.version, seats: changed)
        }
        guard let change else { return }
        logger.notice(
            "seat board was behind the database (a change was never announced)",
            metadata: ["show": "\(show)", "seats": "\(change.seats.count)"])
        for observer in observers.withLock({ $0 }) { observer([change]) }
    }

    /// The current version of a show's seats, nil until its board is loaded.
    public func version(of show: Show.ID) -> Int64? {
        boards.withLock { $0.shows[show]?.seats.version }
    }

    public func hold(_ id: Hold.ID) async throws -> Hold? { try await ledger.hold(id) }

    // MARK: Writing

    /// Holds all of `seatIds` for `user` or none of them.
    public func hold(seatIds: [Seat.ID], of show: Show, layout: SeatLayout, index: [Seat.ID: Int], for user: User.ID)
        async throws -> Hold
    {
        let now = clock.now
        let chosen = try policy.validate(seatIds, in: layout, index: index)
        if show.startsAt <= now { throw BookingError.showClosed(show.id) }
        guard try await self.seats(of: show.id) != nil else { throw BookingError.notFound("show", show.id.rawValue) }

        // Contention filter: seats this board already knows are taken never reach the
        // ledger, nor do seats another buyer's hold on this instance is asking for.
        let (taken, mine) = boards.withLock { boards -> ([Seat.ID], Hold.ID?) in
            let board = boards.shows[show.id]?.seats.seats
            let claims = boards.claims[show.id]
            var taken: [Seat.ID] = []
            var mine: Hold.ID?
            for seat in chosen {
                guard let state = board?[seat.id] else {
                    taken.append(seat.id)
                    continue
                }
                if state.isFree(at: now) {
                    if let claimant = claims?[seat.id], claimant != user { taken.append(seat.id) }
                    continue
                }
                taken.append(seat.id)
                if state.holderId == user { mine = state.holdId }
            }
            if taken.isEmpty, let board {
                // A buyer who already holds seats of this show is told so here, not by
                // the ledger: their request must not claim seats it cannot get.
                for state in board.values
                where state.status == .held && state.holderId == user && !state.isFree(at: now) {
                    return ([], state.holdId)
                }
                for seat in chosen { boards.claims[show.id, default: [:]][seat.id] = user }
            }
            return (taken, mine)
        }
        // Asking again for seats you already hold (a double click, a retry) names your hold.
        if let mine { throw BookingError.holdExists(mine) }
        if !taken.isEmpty {
            throw unavailable(taken, requested: chosen, show: show.id, layout: layout, for: user, now: now)
        }
        // The claim ends when the ledger has answered; a hold it took is on the board by then.
        defer { unclaim(chosen, of: show.id, by: user) }

        var lines: [Hold.Line] = []
        for seat in chosen {
            guard let price = show.prices[seat.category] else {
                throw BookingError.seatsUnavailable(unavailable: [seat.id], suggested: [])
            }
            lines.append(Hold.Line(id: seat.id, category: seat.category, price: price))
        }
        let hold = Hold(
            id: Hold.ID(ids.make(prefix: "hld")), showId: show.id, userId: user, seats: lines,
            // A hold never outlives the show's start: seats cannot be bought once it has begun.
            total: lines.map(\.price).total()!, createdAt: now,
            expiresAt: min(now.addingTimeInterval(policy.ttl), show.startsAt),
            storedStatus: .active)
        do {
            guard
                case .held(let held, _) = try await submit(
                    .hold(try HoldDraft(hold, maxLiveHolds: policy.maxLiveHoldsPerBuyer), now: now)
                ).get()
            else {
                preconditionFailure("ledger answered a hold with another result")
            }
            return held
        } catch BookingError.seatsUnavailable(let lost, _) {
            throw unavailable(lost, requested: chosen, show: show.id, layout: layout, for: user, now: now)
        }
    }

    /// Books the seats of a live hold for its owner, with the booking's tickets and
    /// payment record written in the same transaction.
    public func confirm(_ draft: BookingDraft) async throws -> Booking {
        guard case .confirmed(let booking, _) = try await submit(.confirm(draft, now: clock.now)).get() else {
            preconditionFailure("ledger answered a confirmation with another result")
        }
        return booking
    }

    /// Cancels a booking for its owner and records the refund owed; cancelling
    /// twice answers the first result.
    public func cancel(_ booking: Booking.ID, by user: User.ID, refund: Money) async throws -> RefundRecord {
        let command = LedgerCommand.cancel(
            booking, by: user, refund: refund, refundId: ids.make(prefix: "rfd"), now: clock.now)
        guard case .cancelled(let record, _) = try await submit(command).get() else {
            preconditionFailure("ledger answered a cancellation with another result")
        }
        return record
    }

    /// Releases a hold on its owner's request; releasing twice answers the same.
    public func release(_ id: Hold.ID, by user: User.ID) async throws -> Hold {
        guard case .released(let record, _) = try await submit(.release(id, by: user, now: clock.now)).get() else {
            preconditionFailure("ledger answered a release with another result")
        }
        return try record.hold()
    }

    /// Ends holds whose time is up and frees their seats; returns how many ended.
    @discardableResult
    public func expireDueHolds(limit: Int = 500) async throws -> Int {
        guard case .expired(_, let count) = try await submit(.expire(now: clock.now, limit: limit)).get() else {
            preconditionFailure("ledger answered an expiry with another result")
        }
        return count
    }

    /// Seats claimed by `user`'s own request count as free in the suggestions.
    private func unavailable(
        _ taken: [Seat.ID], requested: [Seat], show: Show.ID, layout: SeatLayout, for user: User.ID, now: Date
    ) -> BookingError {
        guard
            let (free, claims) = boards.withLock({ boards in
                Self.freeSeats(of: show, layout: layout, now: now, in: &boards).map { ($0, boards.claims[show] ?? [:]) }
            })
        else {
            return .seatsUnavailable(unavailable: taken, suggested: [])
        }
        let suggested = SeatSuggester(layout: layout).suggest(near: requested) { index in
            free[index] && (claims.isEmpty || (claims[layout.seats[index].id] ?? user) == user)
        }
        return .seatsUnavailable(unavailable: taken, suggested: suggested)
    }

    /// The show's free seats by layout position, from the board's map while no seat has
    /// changed since it was made and no hold counted in it has run out; made afresh
    /// otherwise. On a hot show most requests are turned away and each gets
    /// suggestions: looking up every seat of the hall by name for each of them took
    /// a tenth of an instance's time.
    static func freeSeats(of show: Show.ID, layout: SeatLayout, now: Date, in boards: inout Boards) -> [Bool]? {
        guard var board = boards.shows[show] else { return nil }
        if let map = board.freeMap, map.validUntil > now, map.free.count == layout.seats.count { return map.free }
        var free = [Bool](repeating: false, count: layout.seats.count)
        var validUntil = Date.distantFuture
        for (index, seat) in layout.seats.enumerated() {
            guard let state = board.seats.seats[seat.id] else { continue }
            free[index] = state.isFree(at: now)
            if !free[index], state.status == .held, let expiry = state.expiresAt {
                validUntil = min(validUntil, expiry)
            }
        }
        board.freeMap = FreeMap(free: free, validUntil: validUntil)
        boards.shows[show] = board
        return free
    }

    /// Ends a buyer's claim on seats once the ledger has answered their hold (a
    /// second claim on one seat is only ever the same buyer's, which comes to the same).
    private func unclaim(_ seats: [Seat], of show: Show.ID, by user: User.ID) {
        boards.withLock { boards in
            guard var claims = boards.claims.removeValue(forKey: show) else { return }
            for seat in seats where claims[seat.id] == user { claims[seat.id] = nil }
            if !claims.isEmpty { boards.claims[show] = claims }
        }
    }
}
