import Foundation
import MarqueeCore

/// The write queue: commands wait here and go to the ledger in batches, each
/// batch one transaction; committed results update the boards and reach the observers.
extension SeatInventory {
    struct Pending: Sendable {
        let command: LedgerCommand
        let continuation: CheckedContinuation<Result<LedgerResult, BookingError>, any Error>
    }

    struct WriteQueue: Sendable {
        var pending: [Pending] = []
        var drainers = 0
    }

    /// Seat changes waiting for a batch to take them to the database.
    public var queuedWrites: Int { queue.withLock { $0.pending.count } }

    func submit(_ command: LedgerCommand) async throws -> Result<LedgerResult, BookingError> {
        if !ledger.groupsCommits {
            switch command {
            case .hold, .release: break
            default:
                // Straight to the database: its row locks order concurrent writers.
                let results = try await ledger.apply([command])
                publish(results)
                return results[0]
            }
        }
        return try await withCheckedThrowingContinuation { continuation in
            let startDrain = queue.withLock { queue in
                queue.pending.append(Pending(command: command, continuation: continuation))
                if queue.drainers >= lanes { return false }
                queue.drainers += 1
                return true
            }
            if startDrain { Task { await self.drain() } }
        }
    }

    /// Runs queued commands in batches, one transaction each, until the queue is empty.
    func drain() async {
        while true {
            let batch = queue.withLock { queue -> [Pending] in
                if queue.pending.isEmpty {
                    queue.drainers -= 1
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
                publish(results)
                for (pending, result) in zip(batch, results) { pending.continuation.resume(returning: result) }
            } catch {
                let reason = DatabaseFailure.explain(error)
                logger.error(
                    "seat ledger batch failed", metadata: ["error": "\(reason)", "commands": "\(batch.count)"])
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }

    /// Brings the boards up to date with committed results and tells the observers.
    func publish(_ results: [Result<LedgerResult, BookingError>]) {
        var loaded: [ShowSeats] = []
        var deltas: [SeatDelta] = []
        for case .success(let result) in results {
            if case .loaded(let seats?) = result { loaded.append(seats) }
            deltas += result.deltas
        }
        if !loaded.isEmpty { install(loaded, at: clock.now) }
        let changes = merge(deltas)
        if !changes.isEmpty {
            for observer in observers.withLock({ $0 }) { observer(changes) }
        }
    }

    /// Boards read from the database, with any newer change heard meanwhile replayed on top.
    func install(_ loaded: [ShowSeats], at now: Date) {
        boards.withLock { boards in
            for seats in loaded where boards.shows[seats.showId] == nil {
                var board = Board(
                    seats: seats, stamps: seats.stamps, loadedAt: seats.stamps.isEmpty ? seats.version : 0,
                    checkedAt: now, marks: (seats.version, seats.version))
                for delta in boards.recent where delta.showId == seats.showId && delta.version > seats.version {
                    Self.merge(delta, into: &board)
                }
                boards.shows[seats.showId] = board
            }
        }
    }

    /// Applies changes to the boards seat by seat, newest version winning; returns
    /// what each change really changed (all of it for shows without a board).
    func merge(_ deltas: [SeatDelta]) -> [SeatDelta] {
        guard !deltas.isEmpty else { return [] }
        let shared = !ledger.groupsCommits
        return boards.withLock { boards in
            var changes: [SeatDelta] = []
            for delta in deltas {
                if shared {
                    boards.recent.append(delta)
                    if boards.recent.count > 1024 { boards.recent.removeFirst(boards.recent.count - 768) }
                }
                guard var board = boards.shows.removeValue(forKey: delta.showId) else {
                    changes.append(delta)
                    continue
                }
                let changed = Self.merge(delta, into: &board)
                boards.shows[delta.showId] = board
                if !changed.isEmpty {
                    changes.append(SeatDelta(showId: delta.showId, version: delta.version, seats: changed))
                }
            }
            return changes
        }
    }

    @discardableResult
    static func merge(_ delta: SeatDelta, into board: inout Board) -> [Seat.ID: SeatState] {
        var changed: [Seat.ID: SeatState] = [:]
        for (seat, state) in delta.seats where delta.version > (board.stamps[seat] ?? board.loadedAt) {
            board.stamps[seat] = delta.version
            board.seats.seats[seat] = state
            changed[seat] = state
        }
        board.seats.version = max(board.seats.version, delta.version)
        if !changed.isEmpty { board.freeMap = nil }
        return changed
    }
}
