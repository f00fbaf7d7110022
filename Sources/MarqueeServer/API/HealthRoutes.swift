import Hummingbird
import MarqueeStore

/// Liveness (the process answers) and readiness (the database is migrated and
/// reachable, the web pages are there).
struct HealthRoutes {
    let stores: Stores
    /// Set when the page templates could not be loaded at start.
    var pagesProblem: String?

    func register(on router: Router<AppRequestContext>) {
        router.get("health/live") { _, _ in
            try APIJSON.response(["status": "ok"])
        }
        router.get("health/ready") { _, _ in
            if let pagesProblem { throw notReady(pagesProblem) }
            // A connection of its own first: the pool would hold this request while it
            // retries, up to a minute, before saying the database is out of reach.
            let (reachable, problem) = await stores.reachable()
            guard reachable else { throw notReady("the database is not reachable: \(problem)") }
            let applied: [String]
            do {
                applied = try await stores.appliedMigrations()
            } catch {
                throw notReady("the database is not reachable: \(DatabaseFailure.explain(error))")
            }
            // Ready when every migration this build knows is applied: during a rolling upgrade the old
            // instances stay ready on a schema that a newer build has already extended.
            let missing = stores.knownMigrations.filter { !applied.contains($0) }
            guard missing.isEmpty else {
                throw notReady("the database lacks migrations \(missing.joined(separator: ", ")); run marquee migrate")
            }
            struct Ready: Encodable {
                let status: String
                let migrations: Int
            }
            return try APIJSON.response(Ready(status: "ready", migrations: applied.count))
        }
    }

    private func notReady(_ detail: String) -> Problem {
        var problem = Problem(.serviceUnavailable, code: "not_ready", detail: detail)
        problem.headers[.retryAfter] = "5"
        return problem
    }
}
