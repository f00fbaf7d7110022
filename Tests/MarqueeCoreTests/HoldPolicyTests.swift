import Foundation
import MarqueeCore
import Testing

@Suite struct HoldPolicyTests {
    let layout = SeatLayout.fixture
    var index: [Seat.ID: Int] { layout.indexById() }

    @Test func validSeatsComeBackInLayoutOrder() throws {
        let seats = try HoldPolicy().validate(["B3", "A2", "B2"], in: layout, index: index)
        #expect(seats.map(\.id) == ["A2", "B2", "B3"])
    }

    @Test func moreThanTheLimitIsRefused() {
        let ids = layout.seats.prefix(11).map(\.id)
        #expect(throws: BookingError.tooManySeats(requested: 11, max: 10)) {
            try HoldPolicy().validate(Array(ids), in: layout, index: index)
        }
    }

    @Test func unknownSeatsAreNamed() {
        #expect(throws: BookingError.unknownSeats(["Z9", "A99"])) {
            try HoldPolicy().validate(["A1", "Z9", "A99"], in: layout, index: index)
        }
    }

    @Test func emptyAndDuplicateRequestsAreRefused() {
        #expect(throws: BookingError.self) { try HoldPolicy().validate([], in: layout, index: index) }
        #expect(throws: BookingError.invalidField("seat_ids", "seat A1 is listed twice")) {
            try HoldPolicy().validate(["A1", "A1"], in: layout, index: index)
        }
    }

    @Test func anActiveHoldPastItsExpiryReadsExpired() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let hold = Hold(
            id: "h1", showId: "s1", userId: "u1", seats: [], total: .zero("INR"), createdAt: start,
            expiresAt: start + 600, storedStatus: .active)
        #expect(hold.status(at: start + 599) == .active)
        #expect(hold.status(at: start + 600) == .expired)
        var released = hold
        released.storedStatus = .released
        #expect(released.status(at: start + 900) == .released)
    }
}

@Suite struct SeatSuggesterTests {
    let layout = SeatLayout.fixture

    @Test func suggestsTheSameNumberOfAdjacentFreeSeatsNearby() {
        let taken: Set<Seat.ID> = ["B2", "B3"]
        let requested = layout.seats.filter { taken.contains($0.id) }
        let suggestion = SeatSuggester(layout: layout).suggest(near: requested) { !taken.contains(layout.seats[$0].id) }
        #expect(suggestion.count == 2)
        let seats = layout.seats.filter { suggestion.contains($0.id) }
        #expect(Set(seats.map(\.y)).count == 1, "suggested seats share a row")
        #expect(abs(seats[0].x - seats[1].x) == 1, "suggested seats sit side by side")
        #expect(suggestion.allSatisfy { !taken.contains($0) })
        // The nearest pair is in row A or C, directly in front of or behind B2-B3.
        #expect(Set(suggestion) == ["A2", "A3"] || Set(suggestion) == ["C2", "C3"])
    }

    @Test func seatsAcrossAnAisleAreNotAdjacent() {
        // Only A4 and A5 are free; they straddle the aisle, so no pair can be offered.
        let free: Set<Seat.ID> = ["A4", "A5"]
        let requested = layout.seats.filter { $0.id == "B2" || $0.id == "B3" }
        #expect(SeatSuggester(layout: layout).suggest(near: requested) { free.contains(layout.seats[$0].id) }.isEmpty)
    }
}

extension SeatLayout {
    /// Three rows of eight seats with an aisle after seat 4; row C is Gold.
    static var fixture: SeatLayout {
        var seats: [Seat] = []
        for (y, row) in ["A", "B", "C"].enumerated() {
            for number in 1...8 {
                let x = number <= 4 ? number - 1 : number
                seats.append(Seat(row: row, number: number, x: x, y: y, category: row == "C" ? "gold" : "silver"))
            }
        }
        return SeatLayout(
            categories: [
                SeatCategory(id: "silver", name: "Silver", rank: 0), SeatCategory(id: "gold", name: "Gold", rank: 1),
            ],
            seats: seats)
    }
}

@Suite struct RefundPolicyTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let total = Money(amount: 45_001, currency: "INR")

    @Test func theStandardTiersRefundAllHalfOrNothing() {
        let policy = RefundPolicy.standard
        #expect(policy.refund(for: total, showStartsAt: start, at: start - 25 * 3600) == total)
        #expect(
            policy.refund(for: total, showStartsAt: start, at: start - 24 * 3600)
                == Money(amount: 22_500, currency: "INR"))
        #expect(policy.refund(for: total, showStartsAt: start, at: start - 3 * 3600)?.amount == 22_500)
        #expect(policy.refund(for: total, showStartsAt: start, at: start - 2 * 3600) == nil)
        #expect(policy.refund(for: total, showStartsAt: start, at: start + 60) == nil)
    }

    @Test func aVenueCanDefineItsOwnTiers() {
        let generous = RefundPolicy(tiers: [RefundPolicy.Tier(hoursBefore: 0, percent: 80)])
        #expect(generous.refund(for: total, showStartsAt: start, at: start - 60)?.amount == 36_000)
        #expect(generous.refund(for: total, showStartsAt: start, at: start + 1) == nil)
    }
}
