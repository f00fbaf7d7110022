import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import MarqueeCore
import MarqueeStore
import NIOCore
import Synchronization
import Testing

@testable import MarqueeServer

/// What one watcher has seen: the seat statuses it rebuilt from the messages.
private final class Watcher: Sendable {
    struct State {
        var seats: [String: String] = [:]
        var version: Int64 = -1
        var snapshots = 0
        var deltas = 0
    }
    let state = Mutex(State())

    func apply(_ text: String) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let version = try #require(object["version"] as? Int)
        state.withLock { state in
            if let seats = object["seats"] as? [[String: String]] {
                state.seats = Dictionary(uniqueKeysWithValues: seats.map { ($0["id"]!, $0["status"]!) })
                state.snapshots += 1
            } else if let changes = object["changes"] as? [[String: String]] {
                for change in changes { state.seats[change["seat_id"]!] = change["status"]! }
                state.deltas += 1
            }
            state.version = Int64(version)
        }
    }
}

private final class StopMark: Sendable {
    let value = Mutex<Int64>(.max)
}

@Suite struct LiveSeatTests {
    @Test func everyWatcherSeesEveryChangeAndOneEncodingServesThemAll() async throws {
        let box = try await TestBoxOffice.make()
        let feed = SeatFeed(inventory: box.inventory, clock: box.environment.clock)
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        let watcherCount = 100
        let watchers = (0..<watcherCount).map { _ in Watcher() }
        let stopAfter = StopMark()
        try await buildApplication(box, feed: feed).test(.live) { client in
            let api = APIClient(client: client)
            let port = try #require(client.port)
            let url = "ws://127.0.0.1:\(port)/api/v1/shows/\(show.id)/live"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for watcher in watchers {
                    group.addTask {
                        try await WebSocketClient.connect(
                            url: url, configuration: .init(maxFrameSize: 1 << 20), logger: Logger(label: "watcher")
                        ) { inbound, outbound, _ in
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                guard case .text(let text) = message else { continue }
                                try watcher.apply(text)
                                if watcher.state.withLock({ $0.version }) > stopAfter.value.withLock({ $0 }) { break }
                            }
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                    }
                }
                // Everyone has the snapshot before anything changes.
                let deadline = ContinuousClock.now + .seconds(20)
                while watchers.contains(where: { $0.state.withLock { $0.snapshots } == 0 }),
                    ContinuousClock.now < deadline
                {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(feed.watcherCount(of: show.id) == watcherCount)
                let encodedBefore = feed.encodedMessages

                // Twenty buyers hold two seats each as fast as they can; half of them let go again.
                var changes = 0
                for buyerNumber in 0..<20 {
                    let token = try await api.register("watched\(buyerNumber)")
                    let answer = try await api.send(
                        .post, "/api/v1/shows/\(show.id)/holds", token: token,
                        json: #"{"seat_ids":["A\#(buyerNumber + 1)","B\#(buyerNumber + 1)"]}"#)
                    #expect(answer.status == .created, "\(String(buffer: answer.body))")
                    changes += 2
                    if buyerNumber < 10 {
                        let hold = try #require(try answer.object()["hold_id"] as? String)
                        #expect(try await api.send(.delete, "/api/v1/holds/\(hold)", token: token).status == .ok)
                        changes += 2
                    }
                }
                let map = try await api.send(.get, "/api/v1/shows/\(show.id)/seats").object()
                stopAfter.value.withLock { $0 = Int64(map["version"] as! Int) }
                // One more change, so that every watcher gets a message past the mark and hangs up.
                let last = try await api.register("watched-last")
                #expect(
                    try await api.send(
                        .post, "/api/v1/shows/\(show.id)/holds", token: last, json: #"{"seat_ids":["C1"]}"#
                    ).status == .created)
                try await group.waitForAll()

                let final = try await api.send(.get, "/api/v1/shows/\(show.id)/seats").object()
                let expected = Dictionary(
                    uniqueKeysWithValues: (final["seats"] as! [[String: Any]]).map {
                        ($0["id"] as! String, $0["status"] as! String)
                    })
                #expect(expected["A1"] == "available" && expected["A12"] == "held" && expected["C1"] == "held")
                for watcher in watchers { #expect(watcher.state.withLock { $0.seats } == expected) }

                // Coalesced: fewer messages than changes, and each encoded once whatever the number of watchers.
                let deltas = watchers[0].state.withLock { $0.deltas }
                #expect(deltas < changes)
                #expect(watchers.allSatisfy { $0.state.withLock { $0.deltas } == deltas })
                #expect(feed.encodedMessages - encodedBefore == deltas)
            }
        }
    }

    /// Other instances' changes can be heard out of order on PostgreSQL: one with a
    /// lower number after one with a higher number. Watchers must still get it, in a
    /// message numbered above the last (the page drops a message that is not).
    @Test(.enabled(if: TestBoxOffice.onPostgres, "only instances sharing PostgreSQL hear changes out of order"))
    func aChangeHeardLateWithALowerNumberStillReachesWatchers() async throws {
        let box = try await TestBoxOffice.make()
        let feed = SeatFeed(
            inventory: box.inventory, clock: box.environment.clock, tick: .seconds(3600), heartbeat: .seconds(3600))
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        var watch = try #require(try await feed.watch(show.id, since: nil)).makeAsyncIterator()
        let snapshot = try #require(await watch.next())
        box.inventory.absorb([
            SeatDelta(showId: show.id, version: snapshot.version + 20, seats: ["D5": SeatState(status: .booked)])
        ])
        feed.flush()
        let first = try #require(await watch.next())
        box.inventory.absorb([
            SeatDelta(showId: show.id, version: snapshot.version + 10, seats: ["D6": SeatState(status: .booked)])
        ])
        feed.flush()
        let second = try #require(await watch.next())
        #expect(first.version > snapshot.version)
        #expect(second.version > first.version, "the page would drop the late change")
        #expect(second.json.contains(#""seat_id":"D6","status":"booked""#))
        // Reconnecting with the last number seen: a snapshot with both changes.
        var again = try #require(try await feed.watch(show.id, since: second.version)).makeAsyncIterator()
        let fresh = try #require(await again.next())
        #expect(fresh.kind == .snapshot && fresh.version >= second.version)
        #expect(
            fresh.json.contains(#"{"id":"D5","status":"booked"}"#)
                && fresh.json.contains(#"{"id":"D6","status":"booked"}"#))
    }

    @Test func aReconnectingWatcherGetsOnlyWhatItMissed() async throws {
        let box = try await TestBoxOffice.make()
        let feed = SeatFeed(
            inventory: box.inventory, clock: box.environment.clock, tick: .seconds(3600), heartbeat: .seconds(3600))
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box, feed: feed).test(.router) { client in
            let first = try #require(try await feed.watch(show.id, since: nil))
            var iterator = first.makeAsyncIterator()
            let snapshot = try #require(await iterator.next())
            #expect(snapshot.kind == .snapshot)

            let api = APIClient(client: client)
            let token = try await api.register("reconnect")
            #expect(
                try await api.send(
                    .post, "/api/v1/shows/\(show.id)/holds", token: token, json: #"{"seat_ids":["D4"]}"#
                ).status == .created)
            feed.flush()
            let delta = try #require(await iterator.next())
            #expect(delta.kind == .delta && delta.json.contains(#""seat_id":"D4","status":"held""#))

            // Back with the version of the snapshot: the delta, not a new snapshot. On PostgreSQL
            // numbers do not order what an instance heard, so a reconnect always gets a snapshot.
            var resumed = try #require(try await feed.watch(show.id, since: snapshot.version)).makeAsyncIterator()
            let missed = try #require(await resumed.next())
            if TestBoxOffice.onPostgres {
                #expect(missed.kind == .snapshot && missed.json.contains(#"{"id":"D4","status":"held"}"#))
                #expect(missed.version >= delta.version)
            } else {
                #expect(missed.kind == .delta && missed.version == delta.version)
            }
            // Back with a version the server never had: a fresh snapshot that includes the hold.
            var fresh = try #require(try await feed.watch(show.id, since: 999_999)).makeAsyncIterator()
            let again = try #require(await fresh.next())
            #expect(again.kind == .snapshot && again.json.contains(#"{"id":"D4","status":"held"}"#))
        }
    }

    @Test func serverSentEventsCarryTheSnapshotThenChangesAndStopForAClientThatLeft() async throws {
        let box = try await TestBoxOffice.make()
        let feed = SeatFeed(inventory: box.inventory, clock: box.environment.clock)
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box, feed: feed).test(.live) { client in
            let api = APIClient(client: client)
            let port = try #require(client.port)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/shows/\(show.id)/events")
            request.headers.add(name: "Accept", value: "text/event-stream")
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let response = try await http.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
            var received = ""
            var body = response.body.makeAsyncIterator()
            while !received.contains("event: snapshot") {
                received += String(buffer: try #require(try await body.next()))
            }
            let token = try await api.register("sse")
            #expect(
                try await api.send(
                    .post, "/api/v1/shows/\(show.id)/holds", token: token, json: #"{"seat_ids":["E7"]}"#
                ).status == .created)
            while !received.contains("event: delta") {
                received += String(buffer: try #require(try await body.next()))
            }
            #expect(received.contains(#"{"seat_id":"E7","status":"held"}"#))
            #expect(feed.watcherCount(of: show.id) == 1)

            // The client goes away. Writing to the closed connection fails (at the latest on the second
            // write after the peer's reset), and the feed stops feeding that stream.
            try await http.shutdown()
            let late = try await api.register("sse2")
            for seat in ["E8", "E9", "E10", "E11"] where feed.watcherCount(of: show.id) > 0 {
                let hold = try await api.send(
                    .post, "/api/v1/shows/\(show.id)/holds", token: late, json: #"{"seat_ids":["\#(seat)"]}"#)
                #expect(hold.status == .created)
                let holdId = try #require(try hold.object()["hold_id"] as? String)
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await api.send(.delete, "/api/v1/holds/\(holdId)", token: late).status == .ok)
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(feed.watcherCount(of: show.id) == 0)
            #expect(try await api.send(.get, "/api/v1/shows/\(show.id)/live").status == .upgradeRequired)
            #expect(try await api.send(.get, "/api/v1/shows/nope/events").status == .notFound)
            #expect(try await api.send(.get, "/api/v1/shows/\(show.id)/events?since=x").status == .badRequest)
        }
    }

    @Test func aQuietEventStreamGetsHeartbeatsAndAClientThatLeftItIsLetGo() async throws {
        let box = try await TestBoxOffice.make()
        let feed = SeatFeed(inventory: box.inventory, clock: box.environment.clock, heartbeat: .milliseconds(400))
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box, feed: feed).test(.live) { client in
            let port = try #require(client.port)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let response = try await http.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/shows/\(show.id)/events"), timeout: .seconds(10)
            )
            var received = ""
            var body = response.body.makeAsyncIterator()
            // Nothing changes on the show, yet the stream keeps coming: two heartbeats after the
            // snapshot (which may itself come after a heartbeat or two while the show's seats are read).
            func heartbeatsAfterSnapshot() -> Int {
                guard let snapshot = received.range(of: "event: snapshot") else { return 0 }
                return received[snapshot.upperBound...].components(separatedBy: ": heartbeat\n\n").count - 1
            }
            while heartbeatsAfterSnapshot() < 2 {
                received += String(buffer: try #require(try await body.next()))
            }
            #expect(received.contains("event: snapshot"))
            #expect(!received.contains("event: delta"))
            #expect(feed.watcherCount(of: show.id) == 1)
            // The client goes; with no change to send, the heartbeats find out and the stream ends.
            try await http.shutdown()
            let deadline = ContinuousClock.now + .seconds(10)
            while feed.watcherCount(of: show.id) > 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(feed.watcherCount(of: show.id) == 0)
        }
    }
}

private final class MessageLog: Sendable {
    let texts = Mutex<[String]>([])
}

/// The first-request guard lets go of a connection once it becomes a WebSocket:
/// a quiet watcher outlives the first-request timeout and still hears changes.
@Suite struct QuietWatcherTests {
    @Test func aWatcherQuietLongerThanTheFirstRequestTimeoutStillHearsChanges() async throws {
        let box = try await TestBoxOffice.make { $0.firstRequestTimeout = .seconds(1) }
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        let messages = MessageLog()
        try await buildApplication(box).test(.live) { client in
            let url = "ws://127.0.0.1:\(try #require(client.port))/api/v1/shows/\(show.id)/live"
            let watching = Task {
                try await WebSocketClient.connect(
                    url: url, configuration: .init(maxFrameSize: 1 << 20), logger: Logger(label: "quiet watcher")
                ) { inbound, outbound, _ in
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        let count = messages.texts.withLock {
                            $0.append(text); return $0.count
                        }
                        if count == 2 { break }
                    }
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
            // The snapshot, then three times the guard's timeout of silence.
            for _ in 0..<200 where messages.texts.withLock({ $0.isEmpty }) {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .seconds(3))
            // (On a new connection: the test client's own, opened at the start and silent
            // since, has been closed by the same timeout.)
            let base = "http://127.0.0.1:\(try #require(client.port))"
            func post(_ path: String, _ json: String, token: String? = nil) async throws -> (UInt, [String: Any]) {
                var request = HTTPClientRequest(url: base + path)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                request.body = .bytes(ByteBuffer(string: json))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 20)
                let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
                return (response.status.code, object)
            }
            let registered = try await post(
                "/api/v1/auth/register", #"{"email":"late@example.com","password":"correct-horse","name":"late"}"#)
            let token = try #require(registered.1["token"] as? String)
            let held = try await post("/api/v1/shows/\(show.id)/holds", #"{"seat_ids":["C3"]}"#, token: token)
            #expect(held.0 == 201)
            for _ in 0..<200 where messages.texts.withLock({ $0.count < 2 }) {
                try await Task.sleep(for: .milliseconds(50))
            }
            watching.cancel()
            _ = try? await watching.value
        }
        let received = messages.texts.withLock { $0 }
        #expect(received.count == 2)
        #expect(received.last?.contains(#""seat_id":"C3""#) == true, "\(received.last ?? "nothing")")
    }
}
