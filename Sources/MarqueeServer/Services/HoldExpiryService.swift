import Logging
import MarqueeStore
import ServiceLifecycle

/// The timer that ends holds whose time is up, so their seats show as free and
/// the hold reads `expired` within about a second of `expires_at`.
struct HoldExpiryService: Service {
    let inventory: SeatInventory
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let ended = try await inventory.expireDueHolds()
                if ended > 0 { logger.debug("expired holds", metadata: ["count": "\(ended)"]) }
            } catch {
                logger.error("hold expiry sweep failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
