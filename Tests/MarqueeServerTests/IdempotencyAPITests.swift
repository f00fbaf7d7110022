import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeServer
import Testing

@Suite struct IdempotencyAPITests {
    @Test func aRetriedHoldWithTheSameKeyGetsTheFirstAnswer() async throws {
        let box = try await TestBoxOffice.make()
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let token = try await api.register("retrier")
            let path = "/api/v1/shows/\(show.id)/holds"
            let first = try await api.send(
                .post, path, token: token, json: #"{"seat_ids":["M3"]}"#, headers: [.idempotencyKeyTest: "k-1"])
            let retry = try await api.send(
                .post, path, token: token, json: #"{"seat_ids":["M3"]}"#, headers: [.idempotencyKeyTest: "k-1"])
            #expect(first.status == .created && retry.status == .created)
            #expect(try retry.object()["hold_id"] as? String == first.object()["hold_id"] as? String)
            #expect(retry.headers[.location] == first.headers[.location])
            #expect(retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            // Re-serialized JSON (other spacing) is the same request.
            let respaced = try await api.send(
                .post, path, token: token, json: "{ \"seat_ids\" : [ \"M3\" ] }", headers: [.idempotencyKeyTest: "k-1"])
            #expect(respaced.status == .created)
            #expect(try respaced.object()["hold_id"] as? String == first.object()["hold_id"] as? String)
            // Without the key the same request is a new attempt, refused as a second hold.
            #expect(try await api.send(.post, path, token: token, json: #"{"seat_ids":["M3"]}"#).status == .conflict)
        }
    }

    @Test func aKeyReusedWithAnotherBodyIs422AndHoldsNothing() async throws {
        let box = try await TestBoxOffice.make()
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let token = try await api.register("reuser")
            let path = "/api/v1/shows/\(show.id)/holds"
            let first = try await api.send(
                .post, path, token: token, json: #"{"seat_ids":["N1"]}"#, headers: [.idempotencyKeyTest: "same"])
            #expect(first.status == .created)
            let reused = try await api.send(
                .post, path, token: token, json: #"{"seat_ids":["N2"]}"#, headers: [.idempotencyKeyTest: "same"])
            #expect(reused.status == .unprocessableContent)
            #expect(try reused.object()["code"] as? String == "idempotency_key_reused")
            let map = try await api.send(.get, "/api/v1/shows/\(show.id)/seats").object()["seats"] as? [[String: Any]]
            #expect(map?.first { $0["id"] as? String == "N2" }?["status"] as? String == "available")
        }
    }

    @Test func aRefusalIsReplayedTooAndKeysBelongToOneBuyer() async throws {
        let box = try await TestBoxOffice.make()
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let winner = try await api.register("winner")
            let loser = try await api.register("loser")
            let path = "/api/v1/shows/\(show.id)/holds"
            let won = try await api.send(
                .post, path, token: winner, json: #"{"seat_ids":["P7"]}"#, headers: [.idempotencyKeyTest: "shared-key"])
            #expect(won.status == .created)
            // The same key from another buyer is theirs alone: it runs, and loses the seat.
            let lost = try await api.send(
                .post, path, token: loser, json: #"{"seat_ids":["P7"]}"#, headers: [.idempotencyKeyTest: "shared-key"])
            #expect(lost.status == .conflict)
            let holdId = try #require(try won.object()["hold_id"] as? String)
            #expect(try await api.send(.delete, "/api/v1/holds/\(holdId)", token: winner).status == .ok)
            // P7 is free now, but the loser's retry with the same key still gets its first answer.
            let retried = try await api.send(
                .post, path, token: loser, json: #"{"seat_ids":["P7"]}"#, headers: [.idempotencyKeyTest: "shared-key"])
            #expect(retried.status == .conflict)
            #expect(try retried.object()["code"] as? String == "seats_unavailable")
            let bad = try await api.send(
                .post, path, token: loser, json: #"{"seat_ids":["P7"]}"#, headers: [.idempotencyKeyTest: "has space"])
            #expect(bad.status == .badRequest)
        }
    }
}

extension HTTPField.Name {
    static let idempotencyKeyTest = Self("Idempotency-Key")!
}
