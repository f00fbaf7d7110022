import Foundation
import MarqueeCore
import Testing

@testable import MarqueeServer

/// The sandbox provider's ledger keeps what was refunded: partial refunds add up
/// to at most what was captured, and the payment reads refunded once all of it is.
@Suite struct SandboxRefundTests {
    @Test func partialRefundsAddUpAndNeverExceedTheCapture() async throws {
        let box = try await TestBoxOffice.make()
        let sandbox = box.sandboxPayments
        let payment = try await sandbox.authorize(
            amount: Money(amount: 995, currency: "GBP"), token: "tok_visa", idempotencyKey: "a")
        try await sandbox.capture(payment.id, idempotencyKey: "c")
        func status() async throws -> PaymentAuthorization.Status? {
            try await sandbox.payments().first { $0.id == payment.id }?.status
        }

        try await sandbox.refund(payment.id, amount: Money(amount: 497, currency: "GBP"), idempotencyKey: "r1")
        #expect(try await sandbox.refundedAmount(of: payment.id) == 497)
        #expect(try await status() == .captured)
        // The same key again is the same refund, not a second one.
        try await sandbox.refund(payment.id, amount: Money(amount: 497, currency: "GBP"), idempotencyKey: "r1")
        #expect(try await sandbox.refundedAmount(of: payment.id) == 497)

        // More than is left, or in another currency, is refused and changes nothing.
        await #expect(throws: PaymentError.self) {
            try await sandbox.refund(payment.id, amount: Money(amount: 499, currency: "GBP"), idempotencyKey: "r2")
        }
        await #expect(throws: PaymentError.self) {
            try await sandbox.refund(payment.id, amount: Money(amount: 10, currency: "INR"), idempotencyKey: "r3")
        }
        #expect(try await sandbox.refundedAmount(of: payment.id) == 497)

        try await sandbox.refund(payment.id, amount: Money(amount: 498, currency: "GBP"), idempotencyKey: "r4")
        #expect(try await sandbox.refundedAmount(of: payment.id) == 995)
        #expect(try await status() == .refunded)
        await #expect(throws: PaymentError.self) {
            try await sandbox.refund(payment.id, amount: Money(amount: 1, currency: "GBP"), idempotencyKey: "r5")
        }
        // Each refund was announced to the merchant.
        let refundsAnnounced = try await sandbox.dueWebhookEvents().filter { $0.type == "payment.refunded" }
        #expect(refundsAnnounced.count == 2)
    }
}
