import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import MarqueeServer

#if canImport(Glibc)
    import Glibc
#endif

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
        let gate = AdmissionGate(capacity: 1, queueLimit: 1)
        try await Self.live(gate) { client, port in
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

    @Test func aClientSendingItsBodySlowlyHoldsNoTurn() async throws {
        let gate = AdmissionGate(capacity: 1, queueLimit: 0)
        try await Self.live(gate) { client, port in
            // A request head announcing 60 bytes of body, and only the first 10 of them.
            let slow = try RawConnection(port: port)
            defer { slow.close() }
            let body = #"{"email":"slow@example.com","password":"not-the-password"}"#
            slow.send(
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n\r\n" + String(body.prefix(10)))
            // Had the slow request taken the only turn, it would show within this second.
            let deadline = ContinuousClock.now + .seconds(1)
            while gate.counts.working == 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(gate.counts.working == 0, "a request still sending its body holds a turn")
            let cities = try await client.execute(uri: "/api/v1/cities", method: .get)
            #expect(cities.status == .ok)
            // The rest of the body arrives and the request is answered as usual.
            slow.send(String(body.dropFirst(10)))
            let answer = slow.receiveHead()
            #expect(answer.hasPrefix("HTTP/1.1 401"), "\(answer)")
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

    /// A live server of a fresh box office behind `gate`; `body` gets its test client and port.
    static func live(
        _ gate: AdmissionGate, _ body: @escaping @Sendable (any TestClientProtocol, Int) async throws -> Void
    ) async throws {
        let box = try await TestBoxOffice.make()
        let feed = SeatFeed(inventory: box.inventory, clock: box.environment.clock)
        try await buildApplication(box, feed: feed, admission: gate).test(.live) { client in
            try await body(client, try #require(client.port))
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

/// A plain TCP connection, for writing a request a byte at a time as a slow client does.
final class RawConnection: Sendable {
    let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("cannot connect to port \(port)") }
    }

    func send(_ text: String) { send(bytes: Array(text.utf8)) }

    func send(bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
    }

    /// Everything the server sends until it closes the connection (`closed`), or
    /// until nothing has come for `seconds`.
    func receiveUntilClosed(seconds: Int) -> (text: String, closed: Bool) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 { return (String(decoding: received, as: UTF8.self), true) }
            if count < 0 { return (String(decoding: received, as: UTF8.self), false) }
            received += buffer[0..<count]
        }
    }

    /// What the server sends until the end of the response head (or the connection closes).
    func receiveHead() -> String {
        var received: [UInt8] = []
        var byte: UInt8 = 0
        while !received.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)), recv(socket, &byte, 1, 0) == 1 {
            received.append(byte)
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// `receiveUntilClosed` on a thread of its own, leaving the test's cooperative
    /// threads (which the server under test shares) free while it waits.
    func untilClosed(seconds: Int) async -> (text: String, closed: Bool) {
        await withCheckedContinuation { done in
            DispatchQueue.global().async { done.resume(returning: self.receiveUntilClosed(seconds: seconds)) }
        }
    }

    /// `receiveHead` on a thread of its own.
    func head() async -> String {
        await withCheckedContinuation { done in
            DispatchQueue.global().async { done.resume(returning: self.receiveHead()) }
        }
    }

    func close() { _ = Glibc.close(socket) }
}
