import AsyncHTTPClient
import NIOCore

/// An HTTP client for tests that race many requests at a live server: one
/// connection per request, so all of them really are in flight together, and a
/// deadline generous enough for a busy two-core machine, because these tests
/// check what happens, not how fast.
enum RaceClient {
    static let deadline = TimeAmount.seconds(120)

    static func make(connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
