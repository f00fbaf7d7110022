import Foundation
import MarqueeCore
import MarqueeStore
import Synchronization
import Testing

/// Seats a hold has asked the ledger for are turned away for other buyers until
/// the ledger answers, without a trip to the database; the claim ends with the answer.
@Suite struct InFlightClaimTests {
    @Test(arguments: StoreBackend.testable) func anotherBuyerIsTurnedAwayFromSeatsInFlightWithoutTheLedger(
        backend: StoreBackend
    ) async throws {
        let fixture = try await StoreFixture(backend)
        let gated = GatedLedger(fixture.stores.ledger)
        let inventory = fixture.inventory(over: gated)
        let alice = Task { try await fixture.hold(["C4", "C5"], for: "alice", on: inventory) }
        try await gated.waitForHolds(1)

        // Bob's answer must come while alice's hold is still at the gate.
        let bob = Task { try await fixture.hold(["C5", "C6"], for: "bob", on: inventory) }
        let answered = await finishes(bob, within: .seconds(5))
        #expect(answered, "bob's hold waited for the ledger")
        #expect(gated.holdsAsked == 1, "bob's hold reached the ledger")
        gated.open()
        guard case .failure(BookingError.seatsUnavailable(let taken, let suggested)) = await bob.result else {
            Issue.record("expected seats_unavailable, got \(await bob.result)")
            return
        }
        #expect(taken == ["C5"])
        #expect(!suggested.contains("C4") && !suggested.contains("C5"))
        #expect(try await alice.value.seatIds == ["C4", "C5"])
        // The claim ended with the answer: bob's other seat is his to take.
        #expect(try await fixture.hold(["C6"], for: "bob", on: inventory).seatIds == ["C6"])
        #expect(try await fixture.violations().isEmpty)
    }

    @Test(arguments: StoreBackend.testable) func aHoldTheLedgerRefusedLeavesNoClaimBehind(backend: StoreBackend)
        async throws
    {
        let fixture = try await StoreFixture(backend)
        let gated = GatedLedger(fixture.stores.ledger)
        gated.open()
        let inventory = fixture.inventory(over: gated)
        _ = try await inventory.seats(of: fixture.show.id)
        // Taken through another board, so this one still sees A1 free and asks the ledger.
        _ = try await fixture.hold(["A1"], for: "dave")
        let refused = await #expect(throws: BookingError.self) {
            try await fixture.hold(["A1", "A2"], for: "carol", on: inventory)
        }
        guard case .seatsUnavailable(let taken, let suggested)? = refused else {
            Issue.record("expected seats_unavailable, got \(String(describing: refused))")
            return
        }
        #expect(taken == ["A1"])
        // Carol's own claim on A2 does not keep it out of what she is offered instead.
        #expect(suggested.contains("A2"))
        #expect(gated.holdsAsked == 1)
        #expect(try await fixture.hold(["A2"], for: "erin", on: inventory).seatIds == ["A2"])
    }

    @Test(arguments: StoreBackend.testable) func aBuyerWhoHoldsSeatsOfTheShowClaimsNoOthers(backend: StoreBackend)
        async throws
    {
        let fixture = try await StoreFixture(backend)
        let gated = GatedLedger(fixture.stores.ledger)
        gated.open()
        let inventory = fixture.inventory(over: gated)
        let first = try await fixture.hold(["B1"], for: "alice", on: inventory)
        // Answered from the board: the request never reaches the ledger, so it claims nothing.
        await #expect(throws: BookingError.holdExists(first.id)) {
            try await fixture.hold(["B5", "B6"], for: "alice", on: inventory)
        }
        #expect(gated.holdsAsked == 1)
        #expect(try await fixture.hold(["B5", "B6"], for: "bob", on: inventory).seatIds == ["B5", "B6"])
    }

    @Test(arguments: StoreBackend.testable) func theSameBuyerAskingTwiceAtOnceIsToldOfTheirHold(backend: StoreBackend)
        async throws
    {
        let fixture = try await StoreFixture(backend)
        let gated = GatedLedger(fixture.stores.ledger)
        let inventory = fixture.inventory(over: gated)
        let first = Task { try await fixture.hold(["D1", "D2"], for: "alice", on: inventory) }
        try await gated.waitForHolds(1)
        // A double click: the second request's seats are claimed, but by the same buyer.
        let second = Task { try await fixture.hold(["D1", "D2"], for: "alice", on: inventory) }
        try await Task.sleep(for: .milliseconds(100))
        gated.open()
        let results = [await first.result, await second.result]
        let held = results.compactMap { try? $0.get() }
        #expect(held.count == 1)
        for case .failure(let error) in results {
            #expect(error as? BookingError == .holdExists(held.first?.id ?? "none"))
        }
    }
}

/// Whether the task is done within `limit`, without waiting for it beyond that.
private func finishes<T: Sendable>(_ task: Task<T, any Error>, within limit: Duration) async -> Bool {
    let done = Mutex(false)
    let watcher = Task {
        _ = await task.result
        done.withLock { $0 = true }
    }
    defer { watcher.cancel() }
    let deadline = ContinuousClock.now + limit
    while !done.withLock({ $0 }), ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(10))
    }
    return done.withLock { $0 }
}

extension StoreFixture {
    func inventory(over ledger: any SeatLedger) -> SeatInventory {
        SeatInventory(
            ledger: ledger, clock: clock, ids: RandomIdentifierSource(), policy: HoldPolicy(ttl: 600))
    }

    func hold(_ seats: [Seat.ID], for user: User.ID, on inventory: SeatInventory) async throws -> Hold {
        try await inventory.hold(
            seatIds: seats, of: show, layout: screen.layout, index: screen.layout.indexById(), for: user)
    }
}

/// A ledger that keeps every batch with a hold in it waiting until the test opens
/// the gate, and counts the holds that reached it.
final class GatedLedger: SeatLedger {
    private struct State {
        var open = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        var holds = 0
    }

    let inner: any SeatLedger
    private let state = Mutex(State())

    init(_ inner: any SeatLedger) { self.inner = inner }

    var groupsCommits: Bool { inner.groupsCommits }
    var holdsAsked: Int { state.withLock { $0.holds } }

    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func waitForHolds(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while holdsAsked < count {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func apply(_ commands: [LedgerCommand]) async throws -> [Result<LedgerResult, BookingError>] {
        let holds = commands.filter { if case .hold = $0 { true } else { false } }.count
        if holds > 0 {
            await withCheckedContinuation { continuation in
                let go = state.withLock { state in
                    state.holds += holds
                    if !state.open { state.waiting.append(continuation) }
                    return state.open
                }
                if go { continuation.resume() }
            }
        }
        return try await inner.apply(commands)
    }

    func hold(_ id: Hold.ID) async throws -> Hold? { try await inner.hold(id) }
    func availableCounts(_ shows: [Show.ID], now: Date) async throws -> [Show.ID: Int] {
        try await inner.availableCounts(shows, now: now)
    }
    func invariantViolations(now: Date) async throws -> [String] { try await inner.invariantViolations(now: now) }
    func seats(of show: Show.ID, changedAfter version: Int64) async throws -> ShowSeats? {
        try await inner.seats(of: show, changedAfter: version)
    }
}
