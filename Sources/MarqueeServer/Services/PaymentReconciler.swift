import Foundation
import Logging
import MarqueeCore
import MarqueeStore
import ServiceLifecycle

/// Settles checkouts a crash or a lost answer left half done: a payment
/// authorized for a hold that was booked is captured; one without a booking is
/// voided. Runs at start and then every `interval`.
struct PaymentReconciler: Service {
    let attempts: any PaymentAttemptStore
    let bookings: any BookingStore
    let gateway: any PaymentGateway
    let clock: any TimeSource
    /// How long a checkout may take before its attempt counts as abandoned.
    var grace: TimeInterval = 120
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: interval) { await reconcile() }
    }

    /// One pass; returns how many attempts were settled.
    @discardableResult
    func reconcile() async -> Int {
        guard let open = try? await attempts.open(before: clock.now.addingTimeInterval(-grace), now: clock.now) else {
            return 0
        }
        var settled = 0
        for attempt in open {
            do {
                try await settle(attempt)
                try await attempts.settle(attempt.providerKey)
                settled += 1
            } catch {
                logger.warning(
                    "reconciling a payment failed, will retry",
                    metadata: ["key": "\(attempt.providerKey)", "error": "\(DatabaseFailure.explain(error))"])
            }
        }
        return settled
    }

    private func settle(_ attempt: PaymentAttempt) async throws {
        let key = attempt.providerKey
        if let (payment, status) = try await attempts.bookedPayment(forHold: attempt.holdId) {
            // Booked: the money must be taken.
            if status == .authorized {
                try await gateway.capture(payment, idempotencyKey: "capture:\(key)")
                try await bookings.updatePayment(payment, status: .captured, at: clock.now)
                logger.info("captured a booked payment left authorized", metadata: ["payment": "\(payment)"])
            }
            return
        }
        // No booking: whatever the provider authorized goes back.
        guard let authorization = try await gateway.status(ofCallWithKey: "authorize:\(key)"),
            authorization.status == .authorized
        else { return }
        try await gateway.void(authorization.id, idempotencyKey: "void:\(key)")
        logger.info("voided a payment without a booking", metadata: ["payment": "\(authorization.id)"])
    }
}
