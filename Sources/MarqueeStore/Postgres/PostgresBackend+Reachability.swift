import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

extension PostgresBackend {
    /// A pooled connection for `body`, which counts as a call made at `file`:`line`
    /// (see `CallsInFlight`).
    func withConnection<T: Sendable>(
        file: String = #fileID, line: Int = #line, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await calls.run(site: "\(file):\(line)", on: client, body)
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
            let task = Task { await Self.probe(url: url, logger: logger) }
            probe = task
            return task
        }
        let answer = await task.value
        probe.withLock { probe in
            if probe == task { probe = nil }
        }
        return answer
    }

    /// One connection attempt, answered within 3 s whatever happens to it: a
    /// connection refused during its start-up (the database closing) was seen to
    /// leave the attempt waiting for ever, and readiness with it.
    private static func probe(url: String, logger: Logger) async -> Answer {
        await withCheckedContinuation { continuation in
            let answered = Once()
            let attempt = Task {
                let answer: Answer
                do {
                    try await PostgresBackend.connect(url: url, id: 2, logger: logger, timeout: .seconds(2)).close()
                    answer = (true, "")
                } catch {
                    answer = (false, DatabaseFailure.explain(error))
                }
                if answered.first() { continuation.resume(returning: answer) }
            }
            Task {
                try? await Task.sleep(for: .seconds(3))
                guard answered.first() else { return }
                attempt.cancel()
                continuation.resume(returning: (false, "no answer to a new connection within 3 s"))
            }
        }
    }
}
