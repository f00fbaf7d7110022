import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Runs the application until SIGTERM or SIGINT, then stops it gracefully: no
/// new connections, requests in flight finish, streams end, workers stop. A
/// stop that takes longer than `shutdownGrace` is cut short (what is still
/// running is cancelled), and one that still has not ended 5 s after that ends
/// the process, so that a stuck part cannot keep a deploy waiting for ever.
/// While it stops, what it still waits for is logged every 5 s.
public func serve(_ box: BoxOffice) async throws {
    let activity = Activity()
    let feed = SeatFeed(inventory: box.inventory, clock: box.environment.clock)
    let application = buildApplication(box, feed: feed, activity: activity)
    let grace = box.configuration.shutdownGrace
    let watch = ShutdownWatch(grace: grace, logger: box.logger) {
        [
            "services": "\(activity.runningServices.joined(separator: ", "))",
            "requests": "\(activity.requestsInFlight)",
            "live_streams": "\(feed.watcherTotal)",
            "database_calls": "\(box.stores.openDatabaseCalls)",
        ]
    }
    var configuration = ServiceGroupConfiguration(
        // The watch comes last, so it hears of the shutdown first.
        services: [.init(service: application), .init(service: watch)],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: box.logger)
    configuration.maximumGracefulShutdownDuration = grace
    do {
        try await ServiceGroup(configuration: configuration).run()
    } catch let error as IOError where error.errnoCode == EADDRINUSE {
        let address = "\(box.configuration.host):\(box.configuration.port)"
        throw ListenError(
            description: "cannot listen on \(address): the address is in use by another process (choose another --port)"
        )
    }
}

/// The server could not take its address.
public struct ListenError: Error, CustomStringConvertible {
    public let description: String
}

/// What an instance is busy with, told in the log while it stops.
final class Activity: Sendable {
    private let requests = Atomic<Int>(0)
    private let services = Mutex<[String: Int]>([:])

    var requestsInFlight: Int { requests.load(ordering: .relaxed) }

    /// The services started and not yet finished, by name.
    var runningServices: [String] {
        services.withLock { $0.filter { $0.value > 0 }.keys.sorted() }
    }

    /// `service`, its running counted under `name` (also its name in ServiceLifecycle's logs).
    func track(_ service: any Service, as name: String) -> any Service {
        Tracked(name: name, service: service, activity: self)
    }

    /// Counts the requests under way (the time to their response, not a stream's body).
    var counter: some RouterMiddleware<AppRequestContext> { RequestCounter(activity: self) }

    fileprivate func request(_ change: Int) { requests.add(change, ordering: .relaxed) }

    fileprivate func service(_ name: String, _ change: Int) {
        services.withLock { $0[name, default: 0] += change }
    }
}

private struct Tracked: Service, CustomStringConvertible {
    let name: String
    let service: any Service
    let activity: Activity
    var description: String { name }

    func run() async throws {
        activity.service(name, 1)
        defer { activity.service(name, -1) }
        try await service.run()
    }
}

private struct RequestCounter: RouterMiddleware {
    let activity: Activity

    func handle(
        _ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        activity.request(1)
        defer { activity.request(-1) }
        return try await next(request, context)
    }
}

/// Waits for the shutdown to begin, then logs every 5 s what the instance still
/// waits for, and ends the process if it has not stopped 5 s after `grace`.
struct ShutdownWatch: Service, CustomStringConvertible {
    let grace: Duration
    let logger: Logger
    let busy: @Sendable () -> Logger.Metadata
    var description: String { "shutdown watch" }

    func run() async throws {
        // Throws only if cancelled, which happens when the application ended on its own.
        guard (try? await gracefulShutdown()) != nil else { return }
        let (grace, logger, busy) = (grace, logger, busy)
        let began = ContinuousClock.now
        logger.info("stopping", metadata: busy())
        // Outlives this service on purpose: the group waits for the application, not for this.
        Task.detached {
            let limit = grace + .seconds(5)
            while true {
                try? await Task.sleep(for: .seconds(5))
                let waited = ContinuousClock.now - began
                if waited >= limit {
                    logger.error(
                        "did not stop within \(limit.components.seconds) s; exiting", metadata: busy())
                    exit(70)
                }
                logger.warning(
                    "still stopping after \(waited.components.seconds) s (at \(grace.components.seconds) s what is left is cancelled)",
                    metadata: busy())
            }
        }
    }
}
