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
            guard let applied = try? await stores.appliedMigrations(), applied.count == stores.knownMigrations.count
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
