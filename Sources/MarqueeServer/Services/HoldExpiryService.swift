import Foundation
import Logging
import MarqueeStore
import ServiceLifecycle

/// The timer that ends holds whose time is up, so their seats show as free and
/// the hold reads `expired` within about a second of `expires_at`. Once a
/// minute it also forgets idempotency keys older than a day.
struct HoldExpiryService: Service {
    let inventory: SeatInventory
    let idempotencyKeys: any IdempotencyStore
    let interval: Duration
    let logger: Logger
    var keyLifetime: TimeInterval = 86400

    func run() async throws {
        var lastPurge = ContinuousClock.now
        await repeatUntilShutdown(every: interval) {
            if ContinuousClock.now - lastPurge >= .seconds(60) {
                lastPurge = ContinuousClock.now
                do {
                    try await idempotencyKeys.purge(before: inventory.clock.now.addingTimeInterval(-keyLifetime))
                } catch {
                    logger.error(
                        "idempotency key purge failed", metadata: ["error": "\(DatabaseFailure.explain(error))"])
                }
            }
            do {
                let ended = try await inventory.expireDueHolds()
                if ended > 0 { logger.debug("expired holds", metadata: ["count": "\(ended)"]) }
            } catch let error where DatabaseFailure.isCancellation(error) {
                // Stopping: a hold past its time counts as free anyway, and a later sweep ends it.
            } catch {
                logger.error("hold expiry sweep failed", metadata: ["error": "\(DatabaseFailure.explain(error))"])
            }
        }
    }
}
