import Foundation
import Logging
import MarqueeCore
import Synchronization

/// The seat-inventory engine: an in-memory board per show that turns away
/// requests for seats known to be taken, in front of a ledger that decides. All
/// writes go through one queue that commits many of them per transaction (group
/// commit) and applies each committed change to the boards before the next.
public final class SeatInventory: Sendable {
    public let ledger: any SeatLedger
    public let clock: any TimeSource
    let ids: any IdentifierSource
    public let policy: HoldPolicy
    let logger: Logger
    let maxBatch: Int

    private let boards = Mutex<[Show.ID: ShowSeats]>([:])
    private let queue = Mutex<WriteQueue>(WriteQueue())
    private let observers = Mutex<[@Sendable ([SeatDelta]) -> Void]>([])

    public init(
        ledger: any SeatLedger, clock: any TimeSource, ids: any IdentifierSource, policy: HoldPolicy,
        logger: Logger = Logger(label: "marquee.inventory"), maxBatch: Int = 256
    ) {
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

    // MARK: Reading

    /// The seats of a show as of the latest committed change.
    public func seats(of show: Show.ID) async throws -> ShowSeats? {
        if let board = boards.withLock({ $0[show] }) { return board }
        guard case .loaded(let seats) = try await submit(.load(show)).get() else { return nil }
        return seats
    }

    /// The current version of a show's seats, nil until its board is loaded.
    public func version(of show: Show.ID) -> Int64? {
        boards.withLock { $0[show]?.version }
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

        // Contention filter: seats this board already knows are taken never reach the ledger.
        let (taken, mine) = boards.withLock { boards -> ([Seat.ID], Hold.ID?) in
            let board = boards[show.id]?.seats
            var taken: [Seat.ID] = []
            var mine: Hold.ID?
            for seat in chosen {
                guard let state = board?[seat.id] else {
                    taken.append(seat.id)
                    continue
                }
                if state.isFree(at: now) { continue }
                taken.append(seat.id)
                if state.holderId == user { mine = state.holdId }
            }
            return (taken, mine)
        }
        // Asking again for seats you already hold (a double click, a retry) names your hold.
        if let mine { throw BookingError.holdExists(mine) }
        if !taken.isEmpty { throw unavailable(taken, requested: chosen, show: show.id, layout: layout, now: now) }

        var lines: [Hold.Line] = []
        for seat in chosen {
            guard let price = show.prices[seat.category] else {
                throw BookingError.seatsUnavailable(unavailable: [seat.id], suggested: [])
            }
            lines.append(Hold.Line(id: seat.id, category: seat.category, price: price))
        }
        let hold = Hold(
            id: Hold.ID(ids.make(prefix: "hld")), showId: show.id, userId: user, seats: lines,
            total: lines.map(\.price).total()!, createdAt: now, expiresAt: now.addingTimeInterval(policy.ttl),
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
            throw unavailable(lost, requested: chosen, show: show.id, layout: layout, now: now)
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

    private func unavailable(_ taken: [Seat.ID], requested: [Seat], show: Show.ID, layout: SeatLayout, now: Date)
        -> BookingError
    {
        // The board is a value: take it out of the lock and look seats up as the search needs them.
        guard let board = boards.withLock({ $0[show]?.seats }) else {
            return .seatsUnavailable(unavailable: taken, suggested: [])
        }
        let suggested = SeatSuggester(layout: layout).suggest(near: requested) { index in
            board[layout.seats[index].id]?.isFree(at: now) ?? false
        }
        return .seatsUnavailable(unavailable: taken, suggested: suggested)
    }

    // MARK: The write queue

    private struct Pending: Sendable {
        let command: LedgerCommand
        let continuation: CheckedContinuation<Result<LedgerResult, BookingError>, any Error>
    }

    private struct WriteQueue: Sendable {
        var pending: [Pending] = []
        var draining = false
    }

    private func submit(_ command: LedgerCommand) async throws -> Result<LedgerResult, BookingError> {
        try await withCheckedThrowingContinuation { continuation in
            let startDrain = queue.withLock { queue in
                queue.pending.append(Pending(command: command, continuation: continuation))
                if queue.draining { return false }
                queue.draining = true
                return true
            }
            if startDrain { Task { await self.drain() } }
        }
    }

    /// Runs queued commands in batches, one transaction each, until the queue is empty.
    private func drain() async {
        while true {
            let batch = queue.withLock { queue -> [Pending] in
                if queue.pending.isEmpty {
                    queue.draining = false
                    return []
                }
                let count = min(queue.pending.count, maxBatch)
                let batch = Array(queue.pending.prefix(count))
                queue.pending.removeFirst(count)
                return batch
            }
            if batch.isEmpty { return }
            do {
                let results = try await ledger.apply(batch.map(\.command))
                let deltas = apply(results)
                if !deltas.isEmpty {
                    for observer in observers.withLock({ $0 }) { observer(deltas) }
                }
                for (pending, result) in zip(batch, results) { pending.continuation.resume(returning: result) }
            } catch {
                logger.error("seat ledger batch failed", metadata: ["error": "\(error)", "commands": "\(batch.count)"])
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }

    /// Brings the boards up to date with a committed batch; returns the changes.
    private func apply(_ results: [Result<LedgerResult, BookingError>]) -> [SeatDelta] {
        boards.withLock { boards in
            var deltas: [SeatDelta] = []
            for case .success(let result) in results {
                if case .loaded(let seats?) = result, boards[seats.showId] == nil {
                    boards[seats.showId] = seats
                }
                for delta in result.deltas {
                    deltas.append(delta)
                    guard var board = boards.removeValue(forKey: delta.showId) else { continue }
                    if delta.version > board.version {
                        board.version = delta.version
                        board.seats.merge(delta.seats) { _, new in new }
                    }
                    boards[delta.showId] = board
                }
            }
            return deltas
        }
    }
}
