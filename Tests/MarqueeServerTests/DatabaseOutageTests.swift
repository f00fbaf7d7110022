import Foundation
import Hummingbird
import HummingbirdTesting
import MarqueeServer
import MarqueeTestSupport
import Testing

/// A PostgreSQL database that goes out of reach while an instance runs: the
/// instance says it is not ready within seconds (asked on a connection of its
/// own, not after the pool's minute of retries), naming the cause; a request
/// that waits for a connection meanwhile gets its 503 within seconds; and it sees
/// the database again once it takes connections, and so does its pool. (That a
/// request failing for want of a connection is a 503: DatabaseErrorTests; that a
/// call whose connection closes under it does not wait for ever: ConnectionLossTests.)
@Suite(.serialized) struct DatabaseOutageTests {
    @Test(.timeLimit(.minutes(5))) func aDatabaseOutOfReachMeansNotReadyAtOnce() async throws {
        guard ScratchPostgres.binaries() != nil else {
            withKnownIssue("PostgreSQL is not installed: the database outage test did not run (apt install postgresql)")
            {
                Issue.record("did not run")
            }
            return
        }
        let url = try await ScratchPostgres.shared.createDatabase()
        let database = try #require(url.split(separator: "/").last.map(String.init))
        let box = try await TestBoxOffice.make { $0.databaseURL = url }
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            #expect(try await api.send(.get, "/health/ready").status == .ok)
            _ = try await api.register("before")

            try await ScratchPostgres.shared.acceptConnections(to: database, false)
            let asked = ContinuousClock.now
            let ready = try await api.send(.get, "/health/ready")
            #expect(ready.status == .serviceUnavailable)
            #expect(ContinuousClock.now - asked < .seconds(10))
            #expect(try ready.object()["code"] as? String == "not_ready")
            let detail = try ready.object()["detail"] as? String
            #expect(detail?.contains("not reachable") == true)
            #expect(detail?.contains("not currently accepting connections") == true)
            #expect(ready.headers[.retryAfter] == "5")
            // A request that needs a connection meanwhile gets its 503 within seconds, not after the pool's minute.
            let tried = ContinuousClock.now
            let refused = try await api.send(
                .post, "/api/v1/auth/register",
                json: #"{"email":"during@example.com","password":"correct-horse","name":"During"}"#)
            #expect(refused.status == .serviceUnavailable)
            #expect(try refused.object()["code"] as? String == "database_unavailable")
            #expect(ContinuousClock.now - tried < .seconds(15), "answered after \(ContinuousClock.now - tried)")

            try await ScratchPostgres.shared.acceptConnections(to: database, true)
            let (reachable, problem) = await box.stores.reachable()
            #expect(reachable, "\(problem)")
            // The pool gets over it too: a write goes through again (503s meanwhile are fine).
            let deadline = ContinuousClock.now + .seconds(90)
            var status = HTTPResponse.Status.serviceUnavailable
            while status == .serviceUnavailable && ContinuousClock.now < deadline {
                status =
                    try await api.send(
                        .post, "/api/v1/auth/register",
                        json: #"{"email":"after@example.com","password":"correct-horse","name":"After"}"#
                    ).status
                if status == .serviceUnavailable { try await Task.sleep(for: .seconds(1)) }
            }
            #expect(status == .created)
            // Reads through the pool answer again too, and readiness says so.
            let token = try await api.register("later")
            #expect(try await api.send(.get, "/api/v1/holds/hld_missing", token: token).status == .notFound)
            #expect(try await api.send(.get, "/health/ready").status == .ok)
        }
        await box.stores.close()
    }
}
