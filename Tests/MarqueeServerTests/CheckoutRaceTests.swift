import Foundation
import MarqueeCore
import MarqueeStore
import Testing

@testable import MarqueeServer

/// A payment that races the hold's expiry must not leave money taken without a booking.
@Suite struct CheckoutRaceTests {
    /// The real sandbox, but the hold runs out while the card is being authorized.
    struct SlowAuthorization: PaymentGateway {
        let sandbox: SandboxPaymentGateway
        let clock: ManualTimeSource
        let delay: TimeInterval

        func authorize(amount: Money, token: String, idempotencyKey: String) async throws(PaymentError)
            -> PaymentAuthorization
        {
            let result = try await sandbox.authorize(amount: amount, token: token, idempotencyKey: idempotencyKey)
            clock.advance(by: delay)
            return result
        }
        func capture(_ payment: PaymentAuthorization.ID, idempotencyKey: String) async throws(PaymentError) {
            try await sandbox.capture(payment, idempotencyKey: idempotencyKey)
        }
        func void(_ payment: PaymentAuthorization.ID, idempotencyKey: String) async throws(PaymentError) {
            try await sandbox.void(payment, idempotencyKey: idempotencyKey)
        }
        func refund(_ payment: PaymentAuthorization.ID, amount: Money, idempotencyKey: String)
            async throws(PaymentError)
        {
            try await sandbox.refund(payment, amount: amount, idempotencyKey: idempotencyKey)
        }
        func status(ofCallWithKey idempotencyKey: String) async throws(PaymentError) -> PaymentAuthorization? {
            try await sandbox.status(ofCallWithKey: idempotencyKey)
        }
    }

    @Test func aHoldThatExpiresDuringPaymentIsNotBookedAndTheMoneyIsVoided() async throws {
        let clock = ManualTimeSourceFactory.make()
        let box = try await TestBoxOffice.make(clock: clock, holdTTL: 60)
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        let screen = box.catalog.snapshot.index.screensById[show.screenId]!
        let hold = try await box.inventory.hold(
            seatIds: ["M1"], of: show, layout: screen.layout, index: screen.layout.indexById(), for: "racer")
        let checkout = Checkout(
            inventory: box.inventory, bookings: box.bookings, attempts: box.paymentAttempts,
            gateway: SlowAuthorization(sandbox: box.sandboxPayments, clock: clock, delay: 61), signer: box.ticketSigner,
            ids: box.environment.ids, clock: clock, logger: box.logger)

        await #expect(throws: BookingError.holdExpired(hold.id)) {
            try await checkout.book(hold: hold.id, paymentToken: "tok_visa", user: "racer", key: "k")
        }
        #expect(try await box.sandboxPayments.payments().map(\.status) == [.voided])
        #expect(try await box.bookings.booking(forHold: hold.id) == nil)
        // The seat is free for the next buyer.
        _ = try await box.inventory.hold(
            seatIds: ["M1"], of: show, layout: screen.layout, index: screen.layout.indexById(), for: "next")
    }
}
