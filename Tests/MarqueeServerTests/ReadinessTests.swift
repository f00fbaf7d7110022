import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import _ConnectionPoolModule

@testable import MarqueeServer

/// Readiness says what is wrong: a missing migration by name, missing page templates.
@Suite struct ReadinessTests {
    /// The status and, for a problem, its code and detail.
    func readiness(_ box: BoxOffice, pagesProblem: String? = nil) async throws -> (
        HTTPResponse.Status, code: String?, detail: String?
    ) {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        HealthRoutes(stores: box.stores, pagesProblem: pagesProblem).register(on: router)
        return try await Application(router: router).test(.router) { client in
            let response = try await APIClient(client: client).send(.get, "/health/ready")
            let object = try response.object()
            if response.status != .ok { #expect(response.headers[.retryAfter] == "5") }
            return (response.status, object["code"] as? String, object["detail"] as? String)
        }
    }

    @Test func aMissingMigrationIsNamed() async throws {
        let box = try await TestBoxOffice.make()
        #expect(try await readiness(box).0 == .ok)
        let last = try #require(box.stores.knownMigrations.last)
        switch box.stores.backend {
        case .sqlite: try await box.execute("DELETE FROM grdb_migrations WHERE identifier = ?", last)
        case .postgres: try await box.execute("DELETE FROM marquee_migrations WHERE name = ?", last)
        }
        let (status, code, detail) = try await readiness(box)
        #expect(status == .serviceUnavailable)
        #expect(code == "not_ready")
        #expect(detail?.contains(last) == true)
    }

    @Test func missingPageTemplatesMeanNotReady() async throws {
        let box = try await TestBoxOffice.make()
        let (status, _, detail) = try await readiness(
            box, pagesProblem: "page templates could not be loaded from /nowhere")
        #expect(status == .serviceUnavailable)
        #expect(detail?.contains("page templates") == true)
    }
}

/// Errors that say the database is out of reach are 503 `database_unavailable`
/// with Retry-After, a cancelled request 503 `shutting_down`; anything else
/// unexpected stays a 500.
@Suite struct DatabaseErrorTests {
    struct Unexpected: Error {}

    @Test func aPoolThatCannotConnectIsA503AndOtherErrorsA500() async throws {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.get("pool") { _, _ -> Response in throw ConnectionPoolError.connectionCreationCircuitBreakerTripped }
        router.post("pool") { _, _ -> Response in throw ConnectionPoolError.connectionCreationCircuitBreakerTripped }
        router.get("cancelled") { _, _ -> Response in throw CancellationError() }
        router.get("lease-cancelled") { _, _ -> Response in throw ConnectionPoolError.requestCancelled }
        router.get("other") { _, _ -> Response in throw Unexpected() }
        try await Application(router: router).test(.router) { client in
            let api = APIClient(client: client)
            let pool = try await api.send(.get, "/pool")
            #expect(pool.status == .serviceUnavailable)
            #expect(try pool.object()["code"] as? String == "database_unavailable")
            #expect(pool.headers[.retryAfter] == "5")
            // A read is just asked again; a change is retried with its Idempotency-Key.
            #expect(
                try pool.object()["detail"] as? String == "the database cannot be reached right now; try again shortly")
            let change = try await api.send(.post, "/pool", json: "{}")
            #expect(change.status == .serviceUnavailable)
            #expect((try change.object()["detail"] as? String)?.contains("Idempotency-Key") == true)
            // Cancelled (only a stop past its grace period does that): 503, not a 500.
            let cancelled = try await api.send(.get, "/cancelled")
            #expect(cancelled.status == .serviceUnavailable)
            #expect(try cancelled.object()["code"] as? String == "shutting_down")
            #expect(try await api.send(.get, "/lease-cancelled").status == .serviceUnavailable)
            let other = try await api.send(.get, "/other")
            #expect(other.status == .internalServerError)
            #expect(try other.object()["code"] as? String == "internal_error")
        }
    }
}
