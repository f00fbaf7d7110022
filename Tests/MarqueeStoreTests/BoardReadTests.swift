import Foundation
import MarqueeCore
import MarqueeStore
import Synchronization
import Testing

/// The first requests for a show share one read of its seats from the database,
/// instead of each reading the whole seat map (a hot sale right after a start).
@Suite struct BoardReadTests {
    @Test(arguments: StoreBackend.testable) func manyFirstRequestsForAShowShareOneRead(backend: StoreBackend)
        async throws
    {
        let fixture = try await StoreFixture(backend)
        let ledger = CountingLedger(fixture.stores.ledger)
        let inventory = SeatInventory(
            ledger: ledger, clock: fixture.clock, ids: SequentialIdentifierSource(), policy: HoldPolicy())
        let boards = try await withThrowingTaskGroup(of: ShowSeats?.self) { group in
            for _ in 0..<200 { group.addTask { try await inventory.seats(of: fixture.show.id) } }
            var boards: [ShowSeats?] = []
            for try await board in group { boards.append(board) }
            return boards
        }
        #expect(boards.count == 200)
        #expect(boards.allSatisfy { $0?.seats.count == 50 })
        #expect(ledger.loads == 1)
        // A show that does not exist is read again next time (nothing to keep).
        #expect(try await inventory.seats(of: "no-such-show") == nil)
        #expect(try await inventory.seats(of: "no-such-show") == nil)
        #expect(ledger.loads == 3)
    }
}

/// The real ledger, counting the seat-map reads that reach it.
final class CountingLedger: SeatLedger {
    let inner: any SeatLedger
    private let count = Mutex(0)
    var loads: Int { count.withLock { $0 } }

    init(_ inner: any SeatLedger) { self.inner = inner }

    func apply(_ commands: [LedgerCommand]) async throws -> [Result<LedgerResult, BookingError>] {
        let reads = commands.filter { if case .load = $0 { true } else { false } }.count
        count.withLock { $0 += reads }
        return try await inner.apply(commands)
    }
    func hold(_ id: Hold.ID) async throws -> Hold? { try await inner.hold(id) }
    func availableCounts(_ shows: [Show.ID], now: Date) async throws -> [Show.ID: Int] {
        try await inner.availableCounts(shows, now: now)
    }
    func invariantViolations(now: Date) async throws -> [String] { try await inner.invariantViolations(now: now) }
    var groupsCommits: Bool { inner.groupsCommits }
    func seats(of show: Show.ID, changedAfter version: Int64) async throws -> ShowSeats? {
        try await inner.seats(of: show, changedAfter: version)
    }
}
