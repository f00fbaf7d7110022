import Foundation
import Logging
import MarqueeCore
import MarqueeStore
import ServiceLifecycle

/// Pays back cancelled bookings through the payment provider, retrying each
/// pending refund until the provider confirms it. The refund's own id is the
/// provider's idempotency key, so a retry never refunds twice.
struct RefundWorker: Service {
    let bookings: any BookingStore
    let gateway: any PaymentGateway
    let clock: any TimeSource
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: interval) { await payPendingRefunds() }
    }

    /// One pass over the pending refunds; returns how many were paid.
    @discardableResult
    func payPendingRefunds() async -> Int {
        let pending: [RefundRecord]
        do {
            pending = try await bookings.pendingRefunds(at: clock.now, limit: 100)
        } catch let error where DatabaseFailure.isCancellation(error) {
            return 0  // stopping
        } catch {
            logger.error("reading pending refunds failed", metadata: ["error": "\(DatabaseFailure.explain(error))"])
            return 0
        }
        var paid = 0
        for refund in pending {
            do {
                if refund.amount.amount > 0 {
                    try await gateway.refund(
                        refund.paymentId, amount: refund.amount, idempotencyKey: "refund:\(refund.id)")
                }
                try await bookings.refundSucceeded(refund.id, at: clock.now)
                paid += 1
            } catch {
                logger.warning(
                    "refund failed, will retry",
                    metadata: ["refund": "\(refund.id)", "error": "\(DatabaseFailure.explain(error))"])
                try? await bookings.refundFailed(refund.id, error: "\(error)", at: clock.now)
            }
        }
        return paid
    }
}
