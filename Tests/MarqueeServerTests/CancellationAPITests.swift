import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import MarqueeStore
import Testing

@testable import MarqueeServer

@Suite struct CancellationAPITests {
    /// Books `seat` of the first show at least `hours` after the test clock's start.
    func book(_ api: APIClient, _ box: BoxOffice, buyer: String, seat: String, hoursAhead hours: Double)
        async throws -> (token: String, booking: [String: Any], show: Show)
    {
        let token = try await api.register(buyer)
        let index = box.catalog.snapshot.index
        let show = index.shows.first {
            $0.startsAt > TestBoxOffice.start.addingTimeInterval(hours * 3600)
                && (index.screensById[$0.screenId]?.layout.seats.count ?? 0) >= 500
        }!
        let hold = try await api.send(
            .post, "/api/v1/shows/\(show.id)/holds", token: token, json: #"{"seat_ids":["\#(seat)"]}"#)
        let holdId = try #require(try hold.object()["hold_id"] as? String)
        let booked = try await api.send(
            .post, "/api/v1/bookings", token: token, json: #"{"hold_id":"\#(holdId)","payment":{"token":"tok_visa"}}"#,
            headers: [.idempotencyKeyTest: "book-\(buyer)"])
        #expect(booked.status == .created)
        return (token, try booked.object(), show)
    }

    @Test func cancellingEarlyRefundsEverythingFreesTheSeatAndAnswersTwiceTheSame() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let (token, booking, show) = try await book(api, box, buyer: "early", seat: "N7", hoursAhead: 30)
            let id = try #require(booking["booking_id"] as? String)
            let cancelled = try await api.send(.post, "/api/v1/bookings/\(id)/cancel", token: token)
            #expect(cancelled.status == .ok)
            let refund = try #require(try cancelled.object()["refund"] as? [String: Any])
            #expect(
                (refund["amount"] as? [String: Any])?["amount"] as? Int == (booking["total"] as? [String: Any])?[
                    "amount"] as? Int)
            #expect(refund["status"] as? String == "pending")
            let again = try await api.send(.post, "/api/v1/bookings/\(id)/cancel", token: token)
            #expect(again.status == .ok)
            #expect(try again.object()["status"] as? String == "cancelled")
            #expect(
                ((try again.object()["refund"] as? [String: Any])?["amount"] as? [String: Any])?["amount"] as? Int
                    == (refund["amount"] as? [String: Any])?["amount"] as? Int)

            // The worker pays it back through the provider, once.
            let worker = RefundWorker(
                bookings: box.bookings, gateway: box.sandboxPayments, clock: box.environment.clock,
                interval: .seconds(1),
                logger: box.logger)
            // (The running worker may get there first; either way the refund is paid exactly once.)
            // On PostgreSQL a worker leases the refund it works on, so this one may find it taken: wait for it.
            _ = await worker.payPendingRefunds()
            for _ in 0..<100 {
                if try await box.bookings.refund(forBooking: Booking.ID(id))?.status == .succeeded { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(await worker.payPendingRefunds() == 0)
            #expect(try await box.bookings.refund(forBooking: Booking.ID(id))?.status == .succeeded)
            #expect(try await box.sandboxPayments.payments().map(\.status) == [.refunded])
            let events = try await box.strings("SELECT event FROM outbox ORDER BY id")
            #expect(events == ["hold_created", "booking_confirmed", "booking_cancelled", "refund_succeeded"])

            // The seat sells again, to someone else, with a new valid ticket.
            let other = try await api.register("second")
            let hold = try await api.send(
                .post, "/api/v1/shows/\(show.id)/holds", token: other, json: #"{"seat_ids":["N7"]}"#)
            let holdId = try #require(try hold.object()["hold_id"] as? String)
            let rebooked = try await api.send(
                .post, "/api/v1/bookings", token: other,
                json: #"{"hold_id":"\#(holdId)","payment":{"token":"tok_visa"}}"#,
                headers: [.idempotencyKeyTest: "rebook"])
            #expect(rebooked.status == .created)
            let tickets = try await box.strings(
                "SELECT status FROM tickets WHERE show_id = ? AND seat_id = 'N7' ORDER BY status", show.id.rawValue)
            #expect(tickets == ["cancelled", "valid"])
        }
    }

    @Test func lateCancellationsGetHalfOrAreRefused() async throws {
        let clock = ManualTimeSourceFactory.make()
        let box = try await TestBoxOffice.make(clock: clock)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let (token, booking, show) = try await book(api, box, buyer: "late", seat: "P2", hoursAhead: 30)
            let (token2, booking2, _) = try await book(api, box, buyer: "later", seat: "P3", hoursAhead: 30)
            let total = try #require((booking["total"] as? [String: Any])?["amount"] as? Int)
            clock.set(show.startsAt.addingTimeInterval(-5 * 3600))
            let half = try await api.send(.post, "/api/v1/bookings/\(booking["booking_id"]!)/cancel", token: token)
            #expect(
                ((try half.object()["refund"] as? [String: Any])?["amount"] as? [String: Any])?["amount"] as? Int
                    == total / 2)
            clock.set(show.startsAt.addingTimeInterval(-3600))
            let closed = try await api.send(.post, "/api/v1/bookings/\(booking2["booking_id"]!)/cancel", token: token2)
            #expect(closed.status == .conflict)
            #expect(try closed.object()["code"] as? String == "cancellation_window_closed")
            // Nothing changed for the refused booking.
            #expect(
                try await api.send(.get, "/api/v1/bookings/\(booking2["booking_id"]!)", token: token2).object()[
                    "status"] as? String == "confirmed")
        }
    }

    @Test func aVenuesOwnPolicyDecidesTheRefund() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let (token, booking, show) = try await book(api, box, buyer: "policy", seat: "Q4", hoursAhead: 30)
            try await box.bookings.setRefundPolicy(
                RefundPolicy(tiers: [.init(hoursBefore: 0, percent: 25)]), venue: show.venueId)
            let total = try #require((booking["total"] as? [String: Any])?["amount"] as? Int)
            let response = try await api.send(.post, "/api/v1/bookings/\(booking["booking_id"]!)/cancel", token: token)
            #expect(
                ((try response.object()["refund"] as? [String: Any])?["amount"] as? [String: Any])?["amount"] as? Int
                    == total / 4)
            let stranger = try await api.register("stranger")
            #expect(
                try await api.send(.post, "/api/v1/bookings/\(booking["booking_id"]!)/cancel", token: stranger).status
                    == .notFound)
        }
    }
}
