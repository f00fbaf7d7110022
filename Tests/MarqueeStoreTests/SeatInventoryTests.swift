import Foundation
import GRDB
import MarqueeCore
import MarqueeStore
import Synchronization
import Testing

@Suite struct SeatInventoryTests {
    @Test(arguments: StoreBackend.testable) func aHoldTakesEverySeatItAsksForAndRecordsIt(backend: StoreBackend)
        async throws
    {
        let fixture = try await StoreFixture(backend)
        let hold = try await fixture.hold(["B2", "B3"], for: "alice")
        #expect(hold.seatIds == ["B2", "B3"])
        #expect(hold.total == Money(amount: 40000, currency: "INR"))
        #expect(hold.expiresAt == StoreFixture.start + 600)
        let statuses = try await fixture.storedStatuses()
        #expect(statuses["B2"] == 1 && statuses["B3"] == 1 && statuses["B4"] == 0)
        #expect(try await fixture.inventory.hold(hold.id)?.status(at: fixture.clock.now) == .active)
    }

    @Test(arguments: StoreBackend.testable) func holdingTakenSeatsChangesNothingAndNamesThem(backend: StoreBackend)
        async throws
    {
        let fixture = try await StoreFixture(backend)
        _ = try await fixture.hold(["C5"], for: "alice")
        await #expect(throws: BookingError.seatsUnavailable(unavailable: ["C5"], suggested: ["C3", "C4"])) {
            try await fixture.hold(["C4", "C5"], for: "bob")
        }
        // All or nothing: C4 was free and must still be free.
        #expect(try await fixture.storedStatuses()["C4"] == 0)
    }

    @Test(arguments: StoreBackend.testable) func suggestionsFollowEveryChangeAndEveryHoldThatRunsOut(
        backend: StoreBackend
    ) async throws {
        // Suggestions come from a map of free seats kept between changes: it must be
        // made again after a change, and once a hold it counted as taken has run out.
        let fixture = try await StoreFixture(backend)
        func suggestions() async -> [Seat.ID] {
            do {
                _ = try await fixture.hold(["C4", "C5"], for: "bob")
            } catch BookingError.seatsUnavailable(_, let suggested) {
                return suggested
            } catch {
                Issue.record("expected seats_unavailable, got \(error)")
            }
            return []
        }
        _ = try await fixture.hold(["C3"], for: "alice")  // runs out at +600
        fixture.clock.advance(by: 300)
        _ = try await fixture.hold(["C5"], for: "erin")  // runs out at +900
        #expect(await suggestions() == ["B4", "B5"])
        _ = try await fixture.hold(["B4"], for: "carol")
        #expect(await suggestions() == ["B2", "B3"])
        // Alice's hold runs out with nothing announced (no sweep has run): C3 is free,
        // and next to C4 it is now the nearest pair.
        fixture.clock.advance(by: 300)
        #expect(await suggestions() == ["C3", "C4"])
    }

    @Test(arguments: StoreBackend.testable) func theLedgerAloneRefusesAPartlyTakenHold(backend: StoreBackend)
        async throws
    {
        // Bypass the in-memory board: the database statement must decide on its own.
        let fixture = try await StoreFixture(backend)
        _ = try await fixture.hold(["A1"], for: "alice")
        let ledger = fixture.stores.ledger
        let lines = [
            Hold.Line(id: "A1", category: "silver", price: Money(amount: 1, currency: "INR")),
            Hold.Line(id: "A2", category: "silver", price: Money(amount: 1, currency: "INR")),
        ]
        let draft = Hold(
            id: "hld_direct", showId: fixture.show.id, userId: "bob", seats: lines,
            total: Money(amount: 2, currency: "INR"),
            createdAt: fixture.clock.now, expiresAt: fixture.clock.now + 60, storedStatus: .active)
        let results = try await ledger.apply([.hold(try HoldDraft(draft), now: fixture.clock.now)])
        guard case .failure(.seatsUnavailable(let taken, _)) = results[0] else {
            Issue.record("expected seats_unavailable, got \(results[0])")
            return
        }
        #expect(taken == ["A1"])
        #expect(try await fixture.storedStatuses()["A2"] == 0)
        #expect(try await ledger.hold("hld_direct") == nil)
    }

    @Test(arguments: StoreBackend.testable) func oneBuyerGetsOneLiveHoldPerShow(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        let first = try await fixture.hold(["A1"], for: "alice")
        await #expect(throws: BookingError.holdExists(first.id)) { try await fixture.hold(["E9"], for: "alice") }
        _ = try await fixture.inventory.release(first.id, by: "alice")
        _ = try await fixture.hold(["E9"], for: "alice")
    }

    @Test(arguments: StoreBackend.testable) func anExpiredHoldFreesItsSeatsAtOnceBeforeTheTimerRuns(
        backend: StoreBackend
    ) async throws {
        let fixture = try await StoreFixture(backend)
        let old = try await fixture.hold(["D4", "D5"], for: "alice")
        fixture.clock.advance(by: 600)
        // No sweep has run: the seats are still marked held in the table, yet free.
        let new = try await fixture.hold(["D5", "D6"], for: "bob")
        #expect(new.seatIds == ["D5", "D6"])
        // The timer now ends the old hold without touching the seat bob holds.
        #expect(try await fixture.inventory.expireDueHolds() == 1)
        let statuses = try await fixture.storedStatuses()
        #expect(statuses["D4"] == 0 && statuses["D5"] == 1 && statuses["D6"] == 1)
        #expect(try await fixture.inventory.hold(old.id)?.storedStatus == .expired)
        #expect(try await fixture.violations().isEmpty)
    }

    @Test(arguments: StoreBackend.testable) func theExpiryTimerReleasesHoldsWhoseTimeIsUp(backend: StoreBackend)
        async throws
    {
        let fixture = try await StoreFixture(backend, ttl: 30)
        let hold = try await fixture.hold(["A1", "A2"], for: "alice")
        fixture.clock.advance(by: 29)
        #expect(try await fixture.inventory.expireDueHolds() == 0)
        fixture.clock.advance(by: 1)
        #expect(try await fixture.inventory.expireDueHolds() == 1)
        #expect(try await fixture.inventory.hold(hold.id)?.storedStatus == .expired)
        let board = try #require(try await fixture.inventory.seats(of: fixture.show.id))
        #expect(board.seats["A1"]?.status == .available)
        #expect(try await fixture.storedStatuses()["A1"] == 0)
    }

    @Test(arguments: StoreBackend.testable) func aBatchOfReleasesFreesOnlyTheSeatsEachHoldStillOwns(
        backend: StoreBackend
    ) async throws {
        let fixture = try await StoreFixture(backend)
        let alice = try await fixture.hold(["C1", "C2"], for: "alice")
        let carol = try await fixture.hold(["C5"], for: "carol")
        fixture.clock.advance(by: 600)
        // Both ran out of time; bob takes C2 before any sweep, dave holds C7.
        let bob = try await fixture.hold(["C2", "C3"], for: "bob")
        let dave = try await fixture.hold(["C7"], for: "dave")
        let now = fixture.clock.now
        let results = try await fixture.stores.ledger.apply([
            .release(alice.id, by: "alice", now: now), .release(dave.id, by: "dave", now: now),
            .release(carol.id, by: "carol", now: now), .release(bob.id, by: "mallory", now: now),
        ])
        var freed: [[Seat.ID]] = []
        var ended: [Hold.Status] = []
        for case .success(.released(let record, let delta)) in results {
            ended.append(record.status)
            freed.append(delta.map { $0.seats.keys.sorted() } ?? [])
        }
        #expect(ended == [.expired, .released, .expired])
        #expect(freed == [["C1"], ["C7"], ["C5"]])
        guard case .failure(let refused) = results[3] else {
            Issue.record("mallory released bob's hold: \(results[3])")
            return
        }
        #expect(refused == BookingError.notFound("hold", bob.id.rawValue))
        let statuses = try await fixture.storedStatuses()
        #expect([statuses["C1"], statuses["C2"], statuses["C3"], statuses["C5"], statuses["C7"]] == [0, 1, 1, 0, 0])
        #expect(try await fixture.inventory.expireDueHolds() == 0)
        #expect(try await fixture.violations().isEmpty)
    }

    @Test(arguments: StoreBackend.testable) func releasingIsForTheOwnerAndAnswersTheSameTwice(backend: StoreBackend)
        async throws
    {
        let fixture = try await StoreFixture(backend)
        let hold = try await fixture.hold(["B7"], for: "alice")
        await #expect(throws: BookingError.notFound("hold", hold.id.rawValue)) {
            try await fixture.inventory.release(hold.id, by: "mallory")
        }
        #expect(try await fixture.storedStatuses()["B7"] == 1)
        #expect(try await fixture.inventory.release(hold.id, by: "alice").storedStatus == .released)
        #expect(try await fixture.inventory.release(hold.id, by: "alice").storedStatus == .released)
        #expect(try await fixture.storedStatuses()["B7"] == 0)
        _ = try await fixture.hold(["B7"], for: "bob")
    }

    @Test(arguments: StoreBackend.testable) func aShowThatHasStartedTakesNoHolds(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        fixture.clock.set(fixture.show.startsAt)
        await #expect(throws: BookingError.showClosed(fixture.show.id)) { try await fixture.hold(["A1"], for: "alice") }
    }

    @Test(arguments: StoreBackend.testable) func aHoldNeverOutlivesTheShowsStart(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        // Two minutes before the start, a ten-minute hold runs until the start and no longer.
        fixture.clock.set(fixture.show.startsAt.addingTimeInterval(-120))
        let late = try await fixture.hold(["A1"], for: "alice")
        #expect(late.expiresAt == fixture.show.startsAt)
        #expect(try await fixture.inventory.hold(late.id)?.expiresAt == fixture.show.startsAt)
        fixture.clock.set(fixture.show.startsAt)
        #expect(late.status(at: fixture.clock.now) == .expired)
        // Earlier, the hold's own time limit is the shorter one.
        let early = try await StoreFixture(backend)
        let hold = try await early.hold(["A1"], for: "alice")
        #expect(hold.expiresAt < early.show.startsAt)
    }

    @Test(arguments: StoreBackend.testable) func everyChangeBumpsTheShowVersion(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        let before = try #require(try await fixture.inventory.seats(of: fixture.show.id)).version
        let hold = try await fixture.hold(["A1"], for: "alice")
        let held = try #require(try await fixture.inventory.seats(of: fixture.show.id)).version
        _ = try await fixture.inventory.release(hold.id, by: "alice")
        let after = try #require(try await fixture.inventory.seats(of: fixture.show.id)).version
        // Each change a larger number: by one on SQLite (a counter per show), drawn from one sequence on PostgreSQL.
        #expect(before < held && held < after)
        if backend == .sqlite { #expect(after == before + 2) }
        // A board read afresh from the database agrees.
        let fresh = SeatInventory(
            ledger: fixture.stores.ledger, clock: fixture.clock, ids: SequentialIdentifierSource(), policy: HoldPolicy()
        )
        #expect(try await fresh.seats(of: fixture.show.id)?.version == after)
    }

    @Test(arguments: StoreBackend.testable) func migrationsAreRecordedAndRunOnce(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        let applied = try await fixture.stores.appliedMigrations()
        #expect(applied == fixture.stores.knownMigrations)
        let reopened = try await Stores.open(fixture.location)
        #expect(try await reopened.appliedMigrations() == applied)
        #expect(try await reopened.isEmpty() == false)
        await reopened.close()
    }
}

@Suite struct HoardingLimitTests {
    @Test(arguments: StoreBackend.testable) func aBuyerHoldsSeatsForAFewShowsAtMost(backend: StoreBackend) async throws
    {
        let fixture = try await StoreFixture(backend)
        // Three more shows on the same screen, later in the week.
        var shows: [Show] = []
        for day in 2...4 {
            var show = fixture.show
            show.id = Show.ID("hall-1-day-\(day)")
            show.startsAt = StoreFixture.start + Double(day) * 86400
            show.endsAt = show.startsAt + 7200
            shows.append(show)
        }
        try await fixture.stores.catalog.save(CatalogContent(shows: shows))
        let index = fixture.screen.layout.indexById()
        func hold(_ show: Show) async throws -> Hold {
            try await fixture.inventory.hold(
                seatIds: ["A1"], of: show, layout: fixture.screen.layout, index: index, for: "hoarder")
        }
        _ = try await fixture.hold(["A1"], for: "hoarder")
        _ = try await hold(shows[0])
        let third = try await hold(shows[1])
        await #expect(throws: BookingError.holdLimitReached(max: 3)) { try await hold(shows[2]) }
        #expect(try await fixture.storedStatuses()["A1"] == 1)
        // Releasing one makes room again.
        _ = try await fixture.inventory.release(third.id, by: "hoarder")
        _ = try await hold(shows[2])
    }
}

@Suite struct IdempotencyStoreTests {
    @Test(arguments: StoreBackend.testable) func aKeyIsClaimedOnceAnsweredThenReplayedAndForgottenWhenOld(
        backend: StoreBackend
    ) async throws {
        let fixture = try await StoreFixture(backend)
        let store = fixture.stores.idempotencyKeys
        let now = fixture.clock.now
        #expect(try await store.claim(user: "u", key: "k", fingerprint: "f1", now: now, abandonAfter: 60) == .claimed)
        #expect(try await store.claim(user: "u", key: "k", fingerprint: "f1", now: now, abandonAfter: 60) == .inFlight)
        #expect(try await store.claim(user: "u", key: "k", fingerprint: "f2", now: now, abandonAfter: 60) == .mismatch)
        // Another buyer's key of the same name is theirs.
        #expect(try await store.claim(user: "v", key: "k", fingerprint: "f9", now: now, abandonAfter: 60) == .claimed)
        let answer = StoredResponse(status: 201, headers: ["Location": "/x"], body: Data("{}".utf8))
        try await store.complete(user: "u", key: "k", response: answer)
        #expect(
            try await store.claim(user: "u", key: "k", fingerprint: "f1", now: now, abandonAfter: 60) == .replay(answer)
        )
        // A claim whose server died is taken over after the abandon time.
        #expect(
            try await store.claim(user: "v", key: "k", fingerprint: "f9", now: now + 61, abandonAfter: 60) == .claimed)
        #expect(try await store.purge(before: now + 1) == 1)
        #expect(
            try await store.claim(user: "u", key: "k", fingerprint: "f2", now: now + 2, abandonAfter: 60) == .claimed)
    }
}

@Suite struct OwnSeatsTests {
    @Test(arguments: StoreBackend.testable) func askingAgainForSeatsYouHoldNamesYourHold(backend: StoreBackend)
        async throws
    {
        let fixture = try await StoreFixture(backend)
        let first = try await fixture.hold(["C1", "C2"], for: "alice")
        await #expect(throws: BookingError.holdExists(first.id)) { try await fixture.hold(["C1", "C2"], for: "alice") }
        // Someone else asking for them is told they are taken.
        let error = await #expect(throws: BookingError.self) { try await fixture.hold(["C2"], for: "bob") }
        guard case .seatsUnavailable(let taken, _)? = error else {
            Issue.record("expected seats_unavailable, got \(String(describing: error))")
            return
        }
        #expect(taken == ["C2"])
    }

    @Test(arguments: StoreBackend.testable) func aBoardLoadedFromTheDatabaseKnowsWhoHoldsEachSeat(backend: StoreBackend)
        async throws
    {
        let fixture = try await StoreFixture(backend)
        let hold = try await fixture.hold(["D9"], for: "alice")
        // A second engine on the same database starts with a board read from the table.
        let fresh = SeatInventory(
            ledger: fixture.stores.ledger, clock: fixture.clock,
            ids: SequentialIdentifierSource(),
            policy: HoldPolicy())
        let board = try #require(try await fresh.seats(of: fixture.show.id))
        #expect(board.seats["D9"]?.holderId == "alice")
        await #expect(throws: BookingError.holdExists(hold.id)) {
            try await fresh.hold(
                seatIds: ["D9"], of: fixture.show, layout: fixture.screen.layout,
                index: fixture.screen.layout.indexById(),
                for: "alice")
        }
    }

    /// Another instance changed seats and died before announcing them: this
    /// instance's board is wrong until it is next compared with the database,
    /// at most `refreshAfter` (30 s) later. PostgreSQL only: on SQLite the
    /// instance is the only writer.
    @Test(arguments: StoreBackend.testable.filter { $0 == .postgres })
    func aBoardCatchesUpWithChangesThatWereNeverAnnounced(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture(backend)
        let mine = try await fixture.hold(["A1"], for: "alice")
        let heard = Mutex<[SeatDelta]>([])
        fixture.inventory.observe { deltas in heard.withLock { $0 += deltas } }
        // The other instance: same database, nobody hears its changes.
        let other = SeatInventory(
            ledger: fixture.stores.ledger, clock: fixture.clock, ids: RandomIdentifierSource(),
            policy: HoldPolicy())
        _ = try await other.release(mine.id, by: "alice")
        let theirs = try await other.hold(
            seatIds: ["B1"], of: fixture.show, layout: fixture.screen.layout, index: fixture.screen.layout.indexById(),
            for: "bob")
        var board = try #require(try await fixture.inventory.seats(of: fixture.show.id))
        #expect(board.seats["A1"]?.status == .held && board.seats["B1"]?.status == .available)

        fixture.clock.advance(by: 31)
        _ = try await fixture.inventory.seats(of: fixture.show.id)  // stale: starts the re-read
        for _ in 0..<100 {
            board = try #require(try await fixture.inventory.seats(of: fixture.show.id))
            if board.seats["A1"]?.status == .available { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(board.seats["A1"] == .available)
        #expect(board.seats["B1"]?.holdId == theirs.id && board.seats["B1"]?.holderId == "bob")
        // Live watchers hear exactly what changed (told just after the board changes).
        for _ in 0..<100 where heard.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(50)) }
        let told = heard.withLock { $0 }.flatMap(\.seats)
        #expect(Set(told.map(\.key)) == ["A1", "B1"])
        // And the freed seat sells again through this instance.
        _ = try await fixture.hold(["A1"], for: "carol")

        // Later re-reads ask only for what changed since the ones before, and still catch it.
        _ = try await other.release(theirs.id, by: "bob")
        fixture.clock.advance(by: 31)
        _ = try await fixture.inventory.seats(of: fixture.show.id)
        for _ in 0..<100 {
            board = try #require(try await fixture.inventory.seats(of: fixture.show.id))
            if board.seats["B1"]?.status == .available { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(board.seats["B1"] == .available)
        #expect(board.seats["A1"]?.holderId == "carol")
    }
}

@Suite struct HoldEventTests {
    @Test(arguments: StoreBackend.testable) func holdsReleasesAndExpiriesAreWrittenToTheOutboxWithTheirChange(
        backend: StoreBackend
    ) async throws {
        let fixture = try await StoreFixture(backend, ttl: 60)
        let released = try await fixture.hold(["A1", "A2"], for: "alice")
        _ = try await fixture.inventory.release(released.id, by: "alice")
        let expired = try await fixture.hold(["B1"], for: "bob")
        fixture.clock.advance(by: 60)
        try await fixture.inventory.expireDueHolds()
        let rows = try await fixture.pairs("SELECT event, payload FROM outbox ORDER BY id")
        #expect(rows.map(\.0) == ["hold_created", "hold_released", "hold_created", "hold_expired"])
        let payloads = try rows.map { try JSONSerialization.jsonObject(with: Data($0.1.utf8)) as? [String: String] }
        #expect(payloads[0]?["hold_id"] == released.id.rawValue && payloads[0]?["seat_ids"] == "A1,A2")
        #expect(payloads[0]?["user_id"] == "alice")
        #expect(payloads[3]?["hold_id"] == expired.id.rawValue && payloads[3]?["show_id"] == fixture.show.id.rawValue)
    }
}
