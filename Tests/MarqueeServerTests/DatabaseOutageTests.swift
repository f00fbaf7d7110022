import Foundation
import Hummingbird
import HummingbirdTesting
import MarqueeServer
import MarqueeTestSupport
import Testing

/// A PostgreSQL database that goes out of reach while an instance runs: the
/// instance says it is not ready within seconds (not after the pool's minute of
/// retries), and is ready and serving again once the database is back. (That a
/// request failing for want of a connection is a 503: DatabaseErrorTests.)
@Suite(.serialized) struct DatabaseOutageTests {
    @Test func aDatabaseOutOfReachMeansNotReadyAtOnceThenRecovery() async throws {
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
            let token = try await api.register("outage")

            try await ScratchPostgres.shared.acceptConnections(to: database, false)
            let asked = ContinuousClock.now
            let ready = try await api.send(.get, "/health/ready")
            #expect(ready.status == .serviceUnavailable)
            #expect(ContinuousClock.now - asked < .seconds(10))
            #expect(try ready.object()["code"] as? String == "not_ready")
            #expect((try ready.object()["detail"] as? String)?.contains("not reachable") == true)
            #expect(ready.headers[.retryAfter] == "5")

            try await ScratchPostgres.shared.acceptConnections(to: database, true)
            let back = ContinuousClock.now
            var status = HTTPResponse.Status.serviceUnavailable
            while status != .ok, ContinuousClock.now - back < .seconds(90) {
                try await Task.sleep(for: .milliseconds(500))
                status = try await api.send(.get, "/health/ready").status
            }
            #expect(status == .ok)
            #expect(try await api.send(.get, "/api/v1/holds/hld_missing", token: token).status == .notFound)
        }
        await box.stores.close()
    }
}
