import Foundation
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import Testing

@testable import MarqueeServer

/// `GET /metrics`: what the instance answered, by route pattern and status, and
/// what it is busy with now, in Prometheus's text format.
@Suite struct MetricsTests {
    @Test func answersAreCountedByRoutePatternAndStatus() async throws {
        let box = try await TestBoxOffice.make()
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let first = try await api.register("first")
            let second = try await api.register("second")
            let holds = "/api/v1/shows/\(show.id)/holds"
            #expect(try await api.send(.post, holds, token: first, json: #"{"seat_ids":["H10"]}"#).status == .created)
            #expect(try await api.send(.post, holds, token: second, json: #"{"seat_ids":["H10"]}"#).status == .conflict)
            #expect(try await api.send(.post, holds, token: second, json: #"{"seat_ids":["H11"]}"#).status == .created)
            #expect(try await api.send(.get, "/api/v1/shows/no-such-show/seats").status == .notFound)

            let scrape = try await api.send(.get, "/metrics")
            #expect(scrape.status == .ok)
            #expect(scrape.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(buffer: scrape.body)
            let route = "/api/v1/shows/{show_id}/holds"
            #expect(
                Self.value(in: text, #"marquee_http_requests_total{method="POST",route="\#(route)",status="201"}"#) == 2
            )
            #expect(
                Self.value(in: text, #"marquee_http_requests_total{method="POST",route="\#(route)",status="409"}"#) == 1
            )
            #expect(
                Self.value(
                    in: text, #"marquee_http_requests_total{method="POST",route="/api/v1/auth/register",status="201"}"#)
                    == 2)
            // One series per route pattern, not per show asked for.
            #expect(
                Self.value(
                    in: text,
                    #"marquee_http_requests_total{method="GET",route="/api/v1/shows/{show_id}/seats",status="404"}"#)
                    == 1)
            #expect(!text.contains(show.id.rawValue) && !text.contains("no-such-show"), "\(text)")
            #expect(
                Self.value(
                    in: text,
                    #"marquee_http_request_duration_seconds_count{method="POST",route="\#(route)",status="201"}"#) == 2)
            #expect(Self.value(in: text, "marquee_seat_writes_queued") == 0)
            #expect(Self.value(in: text, "marquee_live_watchers") == 0)
        }
    }

    @Test func aFullInstanceShowsItsWorkAndWhatItTurnedAwayAndIsStillScraped() async throws {
        let gate = AdmissionGate(capacity: 1, queueLimit: 0)
        let box = try await TestBoxOffice.make()
        let feed = SeatFeed(inventory: box.inventory, clock: box.environment.clock)
        try await buildApplication(box, feed: feed, admission: gate).test(.router) { client in
            let api = APIClient(client: client)
            // The test holds the only turn: the next request is turned away.
            #expect(await gate.enter())
            #expect(try await api.send(.get, "/api/v1/cities").status == .serviceUnavailable)
            let busy = String(buffer: try await api.send(.get, "/metrics").body)
            #expect(Self.value(in: busy, "marquee_requests_in_flight") == 1)
            #expect(Self.value(in: busy, "marquee_requests_turned_away_total") == 1)
            #expect(
                Self.value(in: busy, #"marquee_http_requests_total{method="GET",route="/api/v1/cities",status="503"}"#)
                    == 1)
            gate.leave()
            #expect(try await api.send(.get, "/api/v1/cities").status == .ok)
            let after = String(buffer: try await api.send(.get, "/metrics").body)
            #expect(Self.value(in: after, "marquee_requests_in_flight") == 0)
            #expect(Self.value(in: after, "marquee_requests_turned_away_total") == 1)
        }
    }

    /// The value of the sample named exactly `series` (name and labels), if there is one.
    static func value(in text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}
