import Hummingbird
import MarqueeStore
import Prometheus
import Synchronization

/// What one instance has answered and what it is busy with, in Prometheus's text
/// format at `GET /metrics`. Each instance keeps its own figures: scrape every
/// instance on its own port (through the load balancer a scrape would reach one of them at random).
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    private struct Key: Hashable {
        let method: HTTPRequest.Method
        let route: String
        let status: Int
    }

    private struct Series: Sendable {
        let count: Counter
        let duration: DurationHistogram
    }

    private let series = Mutex<[Key: Series]>([:])
    private let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
        .seconds(5), .seconds(10),
    ]

    // Read from the parts of the instance on each scrape.
    private let inFlight: Gauge
    private let waiting: Gauge
    private let turnedAway: Counter
    private let turnedAwaySeen = Mutex(0)
    private let watchers: Gauge
    private let queuedWrites: Gauge
    private let databaseCalls: Gauge
    private let databaseWaits: Gauge

    init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func gauge(_ subsystem: String, _ metric: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: Self.name(subsystem, metric, help: help))
        }
        inFlight = gauge("requests", "in_flight", "Requests being worked on now (at most MARQUEE_MAX_IN_FLIGHT)")
        waiting = gauge("requests", "waiting", "Requests waiting for a turn (at most MARQUEE_MAX_QUEUED)")
        turnedAway = registry.makeCounter(
            descriptor: Self.name(
                "requests", "turned_away", unit: "total",
                help: "Requests answered 503 server_busy because the queue was full"))
        watchers = gauge("live", "watchers", "WebSocket and server-sent-event streams of seat changes open now")
        queuedWrites = gauge(
            "seat", "writes_queued", "Holds and releases waiting for a batch to take them to the database")
        databaseCalls = gauge("database", "calls_open", "PostgreSQL calls under way (0 on SQLite)")
        databaseWaits = gauge(
            "database", "calls_waiting_for_connection", "PostgreSQL calls waiting for a pooled connection (0 on SQLite)"
        )
    }

    /// `marquee_<subsystem>_<metric>[_<unit>]`.
    private static func name(_ subsystem: String, _ metric: String, unit: String = "", help: String)
        -> MetricNameDescriptor
    {
        MetricNameDescriptor(
            namespace: "marquee", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
    }

    /// Counts an answer and its time under its route's pattern (`/api/v1/shows/{show}/holds`), so
    /// that the series stay few whatever the paths asked for.
    func record(method: HTTPRequest.Method, route: String, status: Int, duration: Duration) {
        let key = Key(method: method, route: route, status: status)
        let found = series.withLock { series in
            if let found = series[key] { return found }
            let labels = [("method", method.rawValue), ("route", route), ("status", String(status))]
            let made = Series(
                count: registry.makeCounter(
                    descriptor: Self.name(
                        "http", "requests", unit: "total", help: "Requests answered, by method, route and status"),
                    labels: labels),
                duration: registry.makeDurationHistogram(
                    descriptor: Self.name(
                        "http", "request_duration", unit: "seconds",
                        help: "Time from a request's head to its answer's head, by method, route and status"),
                    labels: labels, buckets: buckets))
            series[key] = made
            return made
        }
        found.count.increment()
        found.duration.record(duration)
    }

    /// The text of a scrape, with the gauges read from `gate`, `feed` and `box` first.
    func scrape(gate: AdmissionGate, feed: SeatFeed, box: BoxOffice) -> String {
        let counts = gate.counts
        inFlight.set(Double(counts.working))
        waiting.set(Double(counts.waiting))
        // Read again under the lock: of two scrapes at once, the one that read the
        // smaller total must not carry that total over the other's.
        let newlyTurnedAway = turnedAwaySeen.withLock { seen -> Int in
            let total = gate.counts.turnedAway
            defer { seen = max(seen, total) }
            return max(0, total - seen)
        }
        if newlyTurnedAway > 0 { turnedAway.increment(by: Double(newlyTurnedAway)) }
        watchers.set(Double(feed.watcherTotal))
        queuedWrites.set(Double(box.inventory.queuedWrites))
        if case .postgres(let database) = box.stores.backend {
            let calls = database.callCounts
            databaseCalls.set(Double(calls.open))
            databaseWaits.set(Double(calls.waitingForConnection))
        }
        return registry.emitToString()
    }

    /// Records every answer of the routes after it.
    var middleware: some RouterMiddleware<AppRequestContext> { Recorder(metrics: self) }

    private struct Recorder: RouterMiddleware {
        let metrics: ServerMetrics

        func handle(
            _ request: Request, context: AppRequestContext,
            next: (Request, AppRequestContext) async throws -> Response
        ) async throws -> Response {
            let started = ContinuousClock.now
            do {
                let response = try await next(request, context)
                metrics.record(
                    method: request.method, route: context.endpointPath ?? "unmatched",
                    status: response.status.code, duration: .now - started)
                return response
            } catch {
                let status = (error as? any HTTPResponseError)?.status.code ?? 500
                metrics.record(
                    method: request.method, route: context.endpointPath ?? "unmatched", status: status,
                    duration: .now - started)
                throw error
            }
        }
    }
}
