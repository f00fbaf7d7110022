import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import MarqueeServer

/// Hot-sale protection: an instance works on a bounded number of requests at
/// once, later ones wait their turn in order, and once the wait is full the
/// next request is told at once to come back (503 `server_busy`, Retry-After),
/// while health checks still answer.
@Suite struct AdmissionTests {
    @Test func turnsAreTakenInArrivalOrderAndAFullQueueIsTurnedAwayAtOnce() async throws {
        let gate = AdmissionGate(capacity: 2, queueLimit: 2)
        #expect(await gate.enter())
        #expect(await gate.enter())
        let first = Task { await gate.enter() }
        try await Self.waitUntil { gate.counts.waiting == 1 }
        let second = Task { await gate.enter() }
        try await Self.waitUntil { gate.counts.waiting == 2 }
        // Two working, two waiting: the fifth is refused without waiting.
        #expect(await gate.enter() == false)
        #expect(gate.counts.turnedAway == 1)

        // A turn that ends goes to the first waiter; the second waits on.
        gate.leave()
        #expect(await first.value)
        #expect(gate.counts.working == 2 && gate.counts.waiting == 1)
        gate.leave()
        #expect(await second.value)

        // A waiter whose task is cancelled leaves the queue and is not admitted.
        let cancelled = Task { await gate.enter() }
        try await Self.waitUntil { gate.counts.waiting == 1 }
        cancelled.cancel()
        #expect(await cancelled.value == false)
        #expect(gate.counts.waiting == 0)
        gate.leave()
        gate.leave()
        #expect(gate.counts.working == 0)
        // Free turns are taken without waiting again.
        #expect(await gate.enter())
        gate.leave()
    }

    @Test func overHTTPAFullInstanceAnswers503ServerBusyAndStillAnswersHealthChecks() async throws {
        let box = try await TestBoxOffice.make()
        let gate = AdmissionGate(capacity: 1, queueLimit: 1)
        let feed = SeatFeed(inventory: box.inventory, clock: box.environment.clock)
        try await buildApplication(box, feed: feed, admission: gate).test(.live) { client in
            let port = try #require(client.port)
            let http = RaceClient.make(connections: 4)
            func get(_ path: String) async throws -> (Int, String, String?) {
                let response = try await http.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: RaceClient.deadline)
                let body = try await response.body.collect(upTo: 1 << 20)
                return (Int(response.status.code), String(buffer: body), response.headers.first(name: "Retry-After"))
            }
            // The test holds the only turn, so the first request waits for it.
            #expect(await gate.enter())
            let waiting = Task { try await get("/api/v1/cities") }
            try await Self.waitUntil { gate.counts.waiting == 1 }

            let (status, body, retryAfter) = try await get("/api/v1/cities")
            #expect(status == 503)
            #expect(body.contains(#""code":"server_busy""#), "\(body)")
            #expect(retryAfter == "1")
            #expect(try await get("/health/live").0 == 200)
            #expect(try await get("/health/ready").0 == 200)

            gate.leave()
            let (waited, cities, _) = try await waiting.value
            #expect(waited == 200)
            #expect(cities.contains("mumbai"), "\(cities)")
            #expect(gate.counts.working == 0 && gate.counts.waiting == 0 && gate.counts.turnedAway == 1)
            try await http.shutdown()
        }
    }

    @Test func theLimitsAndEventLoopsComeFromTheEnvironmentAndBadValuesAreNamed() throws {
        var configuration = ServerConfiguration()
        #expect(configuration.maxInFlight == 128 && configuration.maxQueued == 1024)
        try configuration.applyEnvironment(["MARQUEE_MAX_IN_FLIGHT": "16", "MARQUEE_MAX_QUEUED": "0"])
        #expect(configuration.maxInFlight == 16 && configuration.maxQueued == 0)
        #expect(configuration.eventLoops == nil)
        try configuration.applyEnvironment(["MARQUEE_EVENT_LOOPS": "1"])
        #expect(configuration.eventLoops == 1)
        for (name, value) in [
            ("MARQUEE_MAX_IN_FLIGHT", "0"), ("MARQUEE_MAX_IN_FLIGHT", "many"), ("MARQUEE_MAX_QUEUED", "-1"),
            ("MARQUEE_EVENT_LOOPS", "0"),
        ] {
            #expect {
                try ServerConfiguration().applyingEnvironment([name: value])
            } throws: { error in
                "\(error)" == "invalid value '\(value)' for \(name)"
            }
        }
    }

    static func waitUntil(_ condition: @escaping @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TestFailure("the condition did not come true in 30 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

extension ServerConfiguration {
    func applyingEnvironment(_ environment: [String: String]) throws -> ServerConfiguration {
        var copy = self
        try copy.applyEnvironment(environment)
        return copy
    }
}
