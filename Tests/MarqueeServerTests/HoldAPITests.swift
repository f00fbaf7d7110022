import Foundation
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import Testing

enum ManualTimeSourceFactory {
    static func make() -> ManualTimeSource { ManualTimeSource(TestBoxOffice.start) }
}

@Suite struct HoldAPITests {
    @Test func aHoldAnswers201WithPricedSeatsAndAnExpiry() async throws {
        let box = try await TestBoxOffice.make()
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let token = try await api.register("buyer")
            let response = try await api.send(
                .post, "/api/v1/shows/\(show.id)/holds", token: token, json: #"{"seat_ids":["F12","F13"]}"#)
            #expect(response.status == .created)
            let hold = try response.object()
            #expect(hold["seat_ids"] as? [String] == ["F12", "F13"])
            #expect(hold["status"] as? String == "active")
            #expect(hold["expires_at"] as? String == "2026-11-23T04:10:00Z")
            let seats = try #require(hold["seats"] as? [[String: Any]])
            let prices = seats.compactMap { ($0["price"] as? [String: Any])?["amount"] as? Int }
            #expect((hold["total"] as? [String: Any])?["amount"] as? Int == prices.reduce(0, +))
            #expect(response.headers[.location] == "/api/v1/holds/\(hold["hold_id"]!)")
        }
    }

    @Test func takenSeatsAnswer409NamingThemWithASuggestion() async throws {
        let box = try await TestBoxOffice.make()
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let first = try await api.register("first")
            let second = try await api.register("second")
            #expect(
                try await api.send(
                    .post, "/api/v1/shows/\(show.id)/holds", token: first, json: #"{"seat_ids":["H10"]}"#
                ).status == .created)
            let conflict = try await api.send(
                .post, "/api/v1/shows/\(show.id)/holds", token: second, json: #"{"seat_ids":["H9","H10"]}"#)
            #expect(conflict.status == .conflict)
            let problem = try conflict.object()
            #expect(problem["code"] as? String == "seats_unavailable")
            #expect(problem["unavailable_seats"] as? [String] == ["H10"])
            let suggested = try #require(problem["suggested_seats"] as? [String])
            #expect(suggested.count == 2 && !suggested.contains("H10"))
            #expect(conflict.headers[.contentType] == "application/problem+json")
            // Nothing was held for the loser: H9 is still free.
            let map = try await api.send(.get, "/api/v1/shows/\(show.id)/seats").object()
            let h9 = (map["seats"] as? [[String: Any]])?.first { $0["id"] as? String == "H9" }
            #expect(h9?["status"] as? String == "available")
        }
    }

    @Test func badHoldRequestsAre4xxAndChangeNothing() async throws {
        let box = try await TestBoxOffice.make()
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let token = try await api.register("careless")
            let path = "/api/v1/shows/\(show.id)/holds"
            let eleven = (1...11).map { "\"A\($0)\"" }.joined(separator: ",")
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"seat_ids":["F12","Q99"]}"#, .badRequest, "unknown_seats"),
                ("{\"seat_ids\":[\(eleven)]}", .badRequest, "too_many_seats"),
                (#"{"seat_ids":[]}"#, .badRequest, "invalid_field"),
                (#"{"seat_ids":"F12"}"#, .badRequest, "invalid_field"),
                (#"{"seat_ids":[12]}"#, .badRequest, "invalid_field"),
                (#"{"seats":["F12"]}"#, .badRequest, "missing_field"),
                (#"{"seat_ids":["F12"]"#, .badRequest, "invalid_json"),
                ("", .badRequest, "invalid_json"),
                ("[1,2,3]", .badRequest, "invalid_json"),
                (#"{"seat_ids":["F12","F12"]}"#, .badRequest, "invalid_field"),
                (#"{"seat_ids":[""]}"#, .badRequest, "invalid_field"),
                (#"{"seat_ids":["ABCDEFGHIJKLMNOP"]}"#, .badRequest, "invalid_field"),
            ]
            for (body, status, code) in cases {
                let response = try await api.send(.post, path, token: token, json: body)
                #expect(response.status == status, "\(body)")
                #expect(try response.object()["code"] as? String == code, "\(body)")
            }
            let huge = "{\"seat_ids\":[\"" + String(repeating: "A", count: 200_000) + "\"]}"
            let tooLarge = try await api.send(.post, path, token: token, json: huge)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(try tooLarge.object()["code"] as? String == "body_too_large")
            let unknownShow = try await api.send(
                .post, "/api/v1/shows/no-such-show/holds", token: token, json: #"{"seat_ids":["A1"]}"#)
            #expect(unknownShow.status == .notFound)
            #expect(try await api.send(.post, path, json: #"{"seat_ids":["A1"]}"#).status == .unauthorized)
            // After all that, the buyer holds nothing and may hold now.
            #expect(try await api.send(.post, path, token: token, json: #"{"seat_ids":["F12"]}"#).status == .created)
        }
    }

    @Test func badQueriesAre400NamingTheParameter() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let cases = [
                ("/api/v1/movies?city=atlantis", "city"), ("/api/v1/movies?city=mumbai&date=2026-02-30", "date"),
                ("/api/v1/movies?date=soon", "date"), ("/api/v1/venues?near=200,1", "near"),
                ("/api/v1/venues?near=19,72&radius_km=-5", "radius_km"),
                ("/api/v1/venues?near=19,72&radius_km=abc", "radius_km"),
                ("/api/v1/movies/avengers-endgame/showtimes?venue_id=nowhere", "venue_id"),
                ("/api/v1/venues?radius_km=5", "radius_km"), ("/api/v1/movies?date=-2026-01-01", "date"),
                ("/api/v1/movies?q=%21%21%21", "q"),
            ]
            for (path, field) in cases {
                let response = try await api.send(.get, path)
                #expect(response.status == .badRequest, "\(path)")
                #expect(try response.object()["field"] as? String == field, "\(path)")
            }
            #expect(try await api.send(.get, "/api/v1/movies/no-such-movie").status == .notFound)
            #expect(try await api.send(.get, "/api/v1/shows/no-such-show/seats").status == .notFound)
            let escaped = try await api.send(.get, "/api/v1/shows/x%20y")
            #expect(try escaped.object()["detail"] as? String == "no show with id 'x y'")
            #expect(try await api.send(.get, "/api/v1/no-such-route").status == .notFound)
            #expect(try await api.send(.get, "/api/v1/holds/hld_nope").status == .unauthorized)
        }
    }

    @Test func oneLiveHoldPerBuyerPerShowAndOthersHoldsAreInvisible() async throws {
        let box = try await TestBoxOffice.make()
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let owner = try await api.register("owner")
            let other = try await api.register("other")
            let created = try await api.send(
                .post, "/api/v1/shows/\(show.id)/holds", token: owner, json: #"{"seat_ids":["J1"]}"#)
            let holdId = try #require(try created.object()["hold_id"] as? String)
            let second = try await api.send(
                .post, "/api/v1/shows/\(show.id)/holds", token: owner, json: #"{"seat_ids":["J5"]}"#)
            #expect(second.status == .conflict)
            #expect(try second.object()["code"] as? String == "hold_exists")
            #expect(try second.object()["hold_id"] as? String == holdId)

            #expect(try await api.send(.get, "/api/v1/holds/\(holdId)", token: other).status == .notFound)
            #expect(try await api.send(.delete, "/api/v1/holds/\(holdId)", token: other).status == .notFound)
            #expect(try await api.send(.get, "/api/v1/holds/\(holdId)", token: owner).status == .ok)

            let released = try await api.send(.delete, "/api/v1/holds/\(holdId)", token: owner)
            #expect(released.status == .ok)
            #expect(try released.object()["status"] as? String == "released")
            #expect(
                try await api.send(.get, "/api/v1/holds/\(holdId)", token: owner).object()["status"] as? String
                    == "released")
            #expect(
                try await api.send(.post, "/api/v1/shows/\(show.id)/holds", token: other, json: #"{"seat_ids":["J1"]}"#)
                    .status == .created)
        }
    }

    @Test func anExpiredHoldReadsExpiredAndItsSeatsComeBack() async throws {
        let clock = ManualTimeSourceFactory.make()
        let box = try await TestBoxOffice.make(clock: clock, holdTTL: 120)
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let early = try await api.register("early")
            let late = try await api.register("late")
            let created = try await api.send(
                .post, "/api/v1/shows/\(show.id)/holds", token: early, json: #"{"seat_ids":["K7","K8"]}"#)
            let holdId = try #require(try created.object()["hold_id"] as? String)
            #expect(
                try await api.send(.post, "/api/v1/shows/\(show.id)/holds", token: late, json: #"{"seat_ids":["K8"]}"#)
                    .status == .conflict)

            clock.advance(by: 120)
            // Free at once for a new buyer, before any timer has run.
            #expect(
                try await api.send(.post, "/api/v1/shows/\(show.id)/holds", token: late, json: #"{"seat_ids":["K8"]}"#)
                    .status == .created)
            #expect(
                try await api.send(.get, "/api/v1/holds/\(holdId)", token: early).object()["status"] as? String
                    == "expired")
            // The timer's sweep frees K7 in the store; K8 stays with the new buyer.
            try await box.inventory.expireDueHolds()
            let seats = try #require(
                try await api.send(.get, "/api/v1/shows/\(show.id)/seats").object()["seats"] as? [[String: Any]])
            #expect(seats.first { $0["id"] as? String == "K7" }?["status"] as? String == "available")
            #expect(seats.first { $0["id"] as? String == "K8" }?["status"] as? String == "held")
            #expect(try await box.inventory.ledger.invariantViolations(now: clock.now).isEmpty)
        }
    }
}
