import Foundation
import MarqueeCore
import MarqueeStore
import Testing

@testable import MarqueeServer

/// A crash between the provider's answer and the booking must not lose money or seats.
@Suite struct ReconcilerTests {
    func reconciler(_ box: BoxOffice, _ clock: ManualTimeSource) -> PaymentReconciler {
        PaymentReconciler(
            attempts: box.paymentAttempts, bookings: box.bookings, gateway: box.sandboxPayments, clock: clock,
            interval: .seconds(30), logger: box.logger)
    }

    @Test func anAuthorizationWithoutABookingIsVoided() async throws {
        let clock = ManualTimeSourceFactory.make()
        let box = try await TestBoxOffice.make(clock: clock)
        // What a checkout does before it dies: the attempt is recorded and the card authorized.
        let amount = Money(amount: 50_000, currency: "INR")
        try await box.paymentAttempts.open(
            PaymentAttempt(
                providerKey: "u:crash", userId: "u", holdId: "hld_gone", amount: amount, createdAt: clock.now))
        _ = try await box.sandboxPayments.authorize(
            amount: amount, token: "tok_visa", idempotencyKey: "authorize:u:crash")
        let worker = reconciler(box, clock)
        #expect(await worker.reconcile() == 0)  // still within the grace period: the checkout may be running
        clock.advance(by: 121)
        #expect(await worker.reconcile() == 1)
        #expect(try await box.sandboxPayments.payments().map(\.status) == [.voided])
        #expect(await worker.reconcile() == 0)
    }

    @Test func aBookedPaymentLeftAuthorizedIsCaptured() async throws {
        let clock = ManualTimeSourceFactory.make()
        let box = try await TestBoxOffice.make(clock: clock)
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        let screen = box.catalog.snapshot.index.screensById[show.screenId]!
        let hold = try await box.inventory.hold(
            seatIds: ["S1"], of: show, layout: screen.layout, index: screen.layout.indexById(), for: "u")
        // The checkout booked the seats, then died before capturing.
        try await box.paymentAttempts.open(
            PaymentAttempt(providerKey: "u:k", userId: "u", holdId: hold.id, amount: hold.total, createdAt: clock.now))
        let payment = try await box.sandboxPayments.authorize(
            amount: hold.total, token: "tok_visa", idempotencyKey: "authorize:u:k")
        let booking = Booking(
            id: "bkg_crash", reference: "CRASH001", userId: "u", showId: show.id, holdId: hold.id, seats: hold.seats,
            total: hold.total, status: .confirmed, createdAt: clock.now, tickets: [])
        _ = try await box.inventory.confirm(try BookingDraft(booking, payment: payment))
        clock.advance(by: 121)
        #expect(await reconciler(box, clock).reconcile() == 1)
        #expect(try await box.sandboxPayments.payments().map(\.status) == [.captured])
        #expect(try await box.paymentAttempts.bookedPayment(forHold: hold.id)?.1 == .captured)
    }
}
