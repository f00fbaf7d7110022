import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

extension PostgresBackend {
    /// A pooled connection for `body`.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T)
        async throws -> T
    {
        try await client.withConnection { try await body($0) }
    }

    /// Whether the database takes connections right now, asked on a connection of
    /// its own: the pool would keep a caller waiting while it retries (up to a
    /// minute) before saying the database is out of reach.
    public func reachable() async -> (reachable: Bool, problem: String) {
        await reachability.check()
    }
}

/// Whether the database accepts connections, found by opening one outside the
/// pool (2 s at most) and closing it. Callers that ask while a probe is under
/// way share it; every answer is fresh (readiness is asked every few seconds,
/// and a cached "yes" from before an outage would send the caller to the pool).
final class Reachability: Sendable {
    typealias Answer = (reachable: Bool, problem: String)
    private let url: String
    private let logger: Logger
    private let probe = Mutex<Task<Answer, Never>?>(nil)

    init(url: String, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    func check() async -> Answer {
        let (url, logger) = (url, logger)
        let task = probe.withLock { probe -> Task<Answer, Never> in
            if let probe { return probe }
            let task = Task { () -> Answer in
                do {
                    try await PostgresBackend.connect(url: url, id: 2, logger: logger, timeout: .seconds(2)).close()
                    return (true, "")
                } catch {
                    return (false, DatabaseFailure.explain(error))
                }
            }
            probe = task
            return task
        }
        let answer = await task.value
        probe.withLock { probe in
            if probe == task { probe = nil }
        }
        return answer
    }
}
