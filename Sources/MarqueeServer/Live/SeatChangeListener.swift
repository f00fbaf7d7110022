import Foundation
import Logging
import MarqueeCore
import MarqueeStore
import ServiceLifecycle

/// With several instances on one PostgreSQL database: hears the seat changes the
/// others commit (LISTEN marquee_seats) and brings this instance's boards and
/// live watchers up to date. When the listening connection drops, the boards
/// are forgotten (reads go to the database) and again once it listens anew,
/// so nothing missed in between survives in memory.
struct SeatChangeListener: Service {
    let database: PostgresBackend
    let inventory: SeatInventory
    let logger: Logger

    func run() async throws {
        var attempt = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let reconnecting = attempt > 0
            do {
                try await cancelWhenGracefulShutdown {
                    try await database.listenForSeatChanges(
                        connected: {
                            if reconnecting {
                                inventory.forgetBoards()
                                logger.info("the seat change feed is back; seat maps are read afresh")
                            } else {
                                logger.debug("listening for seat changes of other instances")
                            }
                        },
                        changes: { delta in inventory.absorb([delta]) })
                }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                logger.warning(
                    "lost the seat change feed; re-reading seats",
                    metadata: ["error": "\(DatabaseFailure.explain(error))"])
            }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            inventory.forgetBoards()
            attempt += 1
            let pause = Duration.seconds(min(5, attempt))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
    }
}
