import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MarqueeServer

/// A request that cannot be read as HTTP/1.1 is answered 400 with a problem
/// document naming what was wrong, and its connection is closed; a connection
/// that never sends a whole first request is closed after a while.
@Suite struct MalformedRequestTests {
    static let malformed: [(String, [UInt8])] = [
        (
            "raw UTF-8 in the query",
            Array("GET /api/v1/movies?q=caf".utf8) + [0xC3, 0xA9] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        ),
        ("not HTTP at all", Array("GARBAGE\r\n\r\n".utf8)),
        (
            "a control character in a header",
            Array("GET /api/v1/cities HTTP/1.1\r\nHost: x\r\nX-A: \u{01}\r\n\r\n".utf8)
        ),
        (
            "Content-Length not a number",
            Array("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".utf8)
        ),
        ("HTTP/2.0 spoken as text", Array("GET /api/v1/cities HTTP/2.0\r\nHost: x\r\n\r\n".utf8)),
        ("a target without its slash", Array("GET api/v1/cities HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
        (
            "a WebSocket upgrade without its key",
            Array(
                "GET /api/v1/shows/x/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n".utf8
            )
        ),
    ]

    @Test func aRequestThatCannotBeReadIsA400NamingTheProblemAndTheConnectionCloses() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.live) { client in
            let port = try #require(client.port)
            for (name, bytes) in Self.malformed {
                let connection = try RawConnection(port: port)
                defer { connection.close() }
                connection.send(bytes: bytes)
                let (text, closed) = await connection.untilClosed(seconds: 10)
                #expect(text.hasPrefix("HTTP/1.1 400"), "\(name): \(text)")
                #expect(text.contains("application/problem+json"), "\(name): \(text)")
                #expect(text.contains(#""code":"malformed_request""#), "\(name): \(text)")
                #expect(closed, "\(name): the connection stayed open")
                if name == "raw UTF-8 in the query" { #expect(text.contains("must be percent-encoded"), "\(text)") }
            }
            // A path that climbs with '..' is well-formed HTTP but refused by the router, and says why.
            let climbing = try RawConnection(port: port)
            defer { climbing.close() }
            climbing.send("GET /api/v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let (climbed, _) = await climbing.untilClosed(seconds: 10)
            #expect(climbed.hasPrefix("HTTP/1.1 400"), "\(climbed)")
            #expect(climbed.contains("may not have '.' or '..' segments"), "\(climbed)")
            // A well-formed request on a new connection is still served.
            let connection = try RawConnection(port: port)
            defer { connection.close() }
            connection.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await connection.head().hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func aConnectionThatSendsNoWholeRequestIsClosedInTime() async throws {
        let box = try await TestBoxOffice.make { $0.firstRequestTimeout = .seconds(1) }
        try await buildApplication(box).test(.live) { client in
            let port = try #require(client.port)
            let silent = try RawConnection(port: port)
            defer { silent.close() }
            let halfHead = try RawConnection(port: port)
            defer { halfHead.close() }
            halfHead.send("GET /health/live HTTP/1.1\r\nHost: x\r\n")
            let started = ContinuousClock.now
            let (silentText, silentClosed) = await silent.untilClosed(seconds: 10)
            #expect(silentText.isEmpty && silentClosed)
            let (halfText, halfClosed) = await halfHead.untilClosed(seconds: 10)
            #expect(halfText.isEmpty && halfClosed)
            #expect(ContinuousClock.now - started < .seconds(8))
            // A connection that asks in time is answered and kept for the next request.
            let prompt = try RawConnection(port: port)
            defer { prompt.close() }
            prompt.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await prompt.head().hasPrefix("HTTP/1.1 200"))
            try await Task.sleep(for: .seconds(2))
            prompt.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            // (What comes first is the rest of the first answer, its body.)
            #expect(await prompt.head().contains("HTTP/1.1 200"))
        }
    }
}
