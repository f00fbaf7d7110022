import Hummingbird
import MarqueeStore

/// Liveness (the process answers) and readiness (the database is migrated and reachable).
struct HealthRoutes {
    let stores: Stores

    func register(on router: Router<AppRequestContext>) {
        router.get("health/live") { _, _ in
            try APIJSON.response(["status": "ok"])
        }
        router.get("health/ready") { _, _ in
            // Ready when every migration this build knows is applied: during a rolling upgrade the old
            // instances stay ready on a schema that a newer build has already extended.
            guard let applied = try? await stores.appliedMigrations(),
                Set(stores.knownMigrations).isSubset(of: applied)
            else {
                throw Problem(
                    .serviceUnavailable, code: "not_ready", detail: "the database is not migrated or not reachable")
            }
            struct Ready: Encodable {
                let status: String
                let migrations: Int
            }
            return try APIJSON.response(Ready(status: "ready", migrations: applied.count))
        }
    }
}
