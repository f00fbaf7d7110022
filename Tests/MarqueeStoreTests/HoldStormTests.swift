import Foundation
import GRDB
import MarqueeCore
import MarqueeStore
import Testing

/// Many buyers at once on overlapping seats; afterwards the database must show
/// no seat in two live holds, and exactly the seats of the successful holds held.
@Suite struct HoldStormTests {
    @Test(arguments: StoreBackend.testable) func fiveThousandOverlappingHoldsNeverShareASeat(backend: StoreBackend)
        async throws
    {
        let fixture = try await StoreFixture(backend)
        let seats = fixture.screen.layout.seats.map(\.id)
        let outcomes = await withTaskGroup(of: Hold?.self) { group in
            for attempt in 0..<5000 {
                group.addTask {
                    var generator = SplitMix(seed: UInt64(attempt))
                    let count = Int(generator.next() % 4) + 1
                    let first = Int(generator.next() % UInt64(seats.count - count))
                    let wanted = Array(seats[first..<first + count])
                    // Each attempt is its own buyer, so only seats decide the race.
                    return try? await fixture.hold(wanted, for: User.ID("buyer-\(attempt)"))
                }
            }
            var held: [Hold] = []
            for await hold in group { if let hold { held.append(hold) } }
            return held
        }
        #expect(!outcomes.isEmpty)
        let heldSeats = outcomes.flatMap(\.seatIds)
        #expect(Set(heldSeats).count == heldSeats.count, "a seat was handed to two holds")
        let stored = try await fixture.storedStatuses()
        #expect(stored.filter { $0.value == 1 }.count == heldSeats.count)
        #expect(try await fixture.violations().isEmpty)
    }

    @Test(arguments: StoreBackend.testable) func concurrentLedgerBatchesWithoutTheBoardStillNeverShareASeat(
        backend: StoreBackend
    ) async throws {
        // Straight at the ledger from many tasks: no contention filter in front.
        let fixture = try await StoreFixture(backend)
        let ledger = fixture.stores.ledger
        let seats = fixture.screen.layout.seats.map(\.id)
        let now = fixture.clock.now
        let won = await withTaskGroup(of: [Hold]?.self) { group in
            for batch in 0..<50 {
                group.addTask {
                    var generator = SplitMix(seed: UInt64(10_000 + batch))
                    let commands: [LedgerCommand] = (0..<20).map { n in
                        let first = Int(generator.next() % UInt64(seats.count - 3))
                        let lines = seats[first..<first + 3].map {
                            Hold.Line(id: $0, category: "silver", price: Money(amount: 1, currency: "INR"))
                        }
                        return .hold(
                            try! HoldDraft(
                                Hold(
                                    id: Hold.ID("h-\(batch)-\(n)"), showId: fixture.show.id,
                                    userId: User.ID("u-\(batch)-\(n)"),
                                    seats: lines, total: Money(amount: 3, currency: "INR"), createdAt: now,
                                    expiresAt: now + 600,
                                    storedStatus: .active)), now: now)
                    }
                    // A batch that fails as a whole (a deadlock, say) counts as a failure of the test.
                    guard let results = try? await ledger.apply(commands), results.count == commands.count else {
                        return nil
                    }
                    return results.compactMap { if case .success(.held(let hold, _)) = $0 { hold } else { nil } }
                }
            }
            var all: [Hold] = []
            var failedBatches = 0
            for await part in group {
                if let part { all += part } else { failedBatches += 1 }
            }
            return (all, failedBatches)
        }
        #expect(won.1 == 0, "batches failed as a whole")
        let heldSeats = won.0.flatMap(\.seatIds)
        #expect(!won.0.isEmpty)
        #expect(Set(heldSeats).count == heldSeats.count)
        #expect(try await fixture.violations().isEmpty)
    }

    /// One batch (one transaction) decides its commands in turn, each on its own:
    /// later holds see earlier ones, and a failed one changes nothing.
    @Test(arguments: StoreBackend.testable) func aBatchDecidesEachCommandInTurn(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        let ledger = fixture.stores.ledger
        let now = fixture.clock.now
        func draft(_ id: String, _ user: String, _ seats: [Seat.ID]) throws -> LedgerCommand {
            let lines = seats.map { Hold.Line(id: $0, category: "silver", price: Money(amount: 1, currency: "INR")) }
            return .hold(
                try HoldDraft(
                    Hold(
                        id: Hold.ID(id), showId: fixture.show.id, userId: User.ID(user),
                        seats: lines, total: Money(amount: Int64(lines.count), currency: "INR"), createdAt: now,
                        expiresAt: now + 600, storedStatus: .active)), now: now)
        }
        let holds = try await ledger.apply([
            try draft("h1", "alice", ["A1", "A2"]), try draft("h2", "bob", ["A2", "A3"]),
            try draft("h3", "alice", ["B1"]), try draft("h4", "carol", ["C1"]),
        ])
        guard holds.count == 4, case .success(.held(_, let delta)) = holds[0] else {
            Issue.record("h1 not held: \(holds)")
            return
        }
        #expect(Set(delta.seats.keys) == ["A1", "A2"])
        guard case .failure(.seatsUnavailable(let taken, _)) = holds[1] else {
            Issue.record("h2: \(holds[1])")
            return
        }
        #expect(taken == ["A2"])
        guard case .failure(.holdExists(let existing)) = holds[2] else {
            Issue.record("h3: \(holds[2])")
            return
        }
        #expect(existing == "h1")
        guard case .success(.held) = holds[3] else {
            Issue.record("h4: \(holds[3])")
            return
        }
        let statuses = try await fixture.storedStatuses()
        #expect(statuses["A1"] == 1 && statuses["A2"] == 1 && statuses["A3"] == 0 && statuses["B1"] == 0)
        #expect(statuses["C1"] == 1)

        let releases = try await ledger.apply([
            .release("h1", by: "alice", now: now), .release("h1", by: "alice", now: now),
            .release("h4", by: "bob", now: now),
        ])
        guard releases.count == 3, case .success(.released(let first, let freed?)) = releases[0] else {
            Issue.record("first release: \(releases)")
            return
        }
        #expect(first.status == .released && Set(freed.seats.keys) == ["A1", "A2"])
        guard case .success(.released(let again, nil)) = releases[1] else {
            Issue.record("second release: \(releases[1])")
            return
        }
        #expect(again.status == .released)
        guard case .failure(.notFound) = releases[2] else {
            Issue.record("someone else's hold: \(releases[2])")
            return
        }
        let after = try await fixture.storedStatuses()
        #expect(after["A1"] == 0 && after["A2"] == 0 && after["C1"] == 1)
        #expect(try await fixture.violations().isEmpty)
    }
}

/// A small deterministic random generator for reproducible storms.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
