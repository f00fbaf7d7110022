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
        let won = await withTaskGroup(of: [Hold].self) { group in
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
                    let results = (try? await ledger.apply(commands)) ?? []
                    return results.compactMap { if case .success(.held(let hold, _)) = $0 { hold } else { nil } }
                }
            }
            var all: [Hold] = []
            for await part in group { all += part }
            return all
        }
        let heldSeats = won.flatMap(\.seatIds)
        #expect(!won.isEmpty)
        #expect(Set(heldSeats).count == heldSeats.count)
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
