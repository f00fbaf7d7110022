import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The database calls under way, each with where it was made and the connection
/// it runs on.
///
/// PostgresNIO drops a query written to a connection that has just been closed
/// (the database ended it) without ever answering it, so its caller would wait
/// for ever: a stuck request, a worker that never ticks again, an instance that
/// cannot stop. Every call here watches its connection instead; a call still
/// open `grace` after its connection closed fails with `ConnectionLost`. A call
/// open longer than a minute is logged with its place in the code.
final class CallsInFlight: Sendable {
    struct Call: Sendable {
        let site: String
        let started: ContinuousClock.Instant
        /// The connection it runs on, once it has one.
        var connection: PostgresConnection?
        var reported: ContinuousClock.Instant?
        /// Ends the call with an error; set while the call waits for its answer.
        var abandon: (@Sendable () -> Void)?
        var work: Task<Void, Never>?
    }

    private struct State {
        var next: UInt64 = 0
        var open: [UInt64: Call] = [:]
        /// Connections whose closing is watched (once each).
        var watched: Set<Int> = []
    }

    private let state = Mutex(State())
    private let grace: Duration
    private let logger: Logger

    init(grace: Duration = .seconds(2), logger: Logger) {
        self.grace = grace
        self.logger = logger
    }

    /// Runs `body` on a pooled connection of `client`, as a call made at `site`.
    func run<T: Sendable>(
        site: String, on client: PostgresClient, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let id = begin(site)
        defer { end(id) }
        return try await client.withConnection { connection in
            try await self.watching(id, site: site, on: connection, body)
        }
    }

    var count: Int { state.withLock { $0.open.count } }

    private func begin(_ site: String) -> UInt64 {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.next += 1
            state.open[state.next] = Call(site: site, started: now)
            return state.next
        }
    }

    private func end(_ id: UInt64) {
        state.withLock { _ = $0.open.removeValue(forKey: id) }
    }

    /// `body` in a task of its own, answered by that task or, if the connection
    /// closes and the task has not answered `grace` later, by `ConnectionLost`.
    private func watching<T: Sendable>(
        _ id: UInt64, site: String, on connection: PostgresConnection,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let answered = Once()
                let work = Task {
                    do {
                        let value = try await body(connection)
                        if answered.first() { continuation.resume(returning: value) }
                    } catch {
                        if answered.first() { continuation.resume(throwing: error) }
                    }
                }
                let abandon: @Sendable () -> Void = {
                    guard answered.first() else { return }
                    work.cancel()
                    continuation.resume(throwing: ConnectionLost(site: site))
                }
                let watch = state.withLock { state -> Bool in
                    state.open[id]?.connection = connection
                    state.open[id]?.abandon = abandon
                    state.open[id]?.work = work
                    return state.watched.insert(connection.id).inserted
                }
                if watch {
                    // Runs at once if the connection is already closed.
                    connection.closeFuture.whenComplete { _ in self.closed(connection.id) }
                }
            }
        } onCancel: {
            state.withLock { $0.open[id]?.work }?.cancel()
        }
    }

    /// A connection closed: calls on it that have not answered within `grace` are failed.
    private func closed(_ connection: Int) {
        Task {
            try? await Task.sleep(for: grace)
            let stuck = state.withLock { state -> [(String, @Sendable () -> Void)] in
                state.watched.remove(connection)
                var stuck: [(String, @Sendable () -> Void)] = []
                for (id, call) in state.open where call.connection?.id == connection {
                    guard let abandon = call.abandon else { continue }
                    state.open[id]?.abandon = nil
                    stuck.append((call.site, abandon))
                }
                return stuck
            }
            for (site, abandon) in stuck {
                logger.warning(
                    "a database call got no answer from a connection that closed; it fails instead of waiting for ever",
                    metadata: ["site": "\(site)", "psql_connection_id": "\(connection)"])
                abandon()
            }
        }
    }

    /// Calls older than `limit` not reported in the last `limit`, marked reported.
    func overdue(limit: Duration, now: ContinuousClock.Instant = .now) -> [Call] {
        state.withLock { state in
            var late: [Call] = []
            for (id, call) in state.open where now - call.started >= limit {
                if let reported = call.reported, now - reported < limit { continue }
                state.open[id]?.reported = now
                late.append(call)
            }
            return late.sorted { $0.started < $1.started }
        }
    }

    /// Logs every call open longer than `limit`, every `interval`, until cancelled.
    func watch(limit: Duration, every interval: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let now = ContinuousClock.now
            for call in overdue(limit: limit, now: now) {
                let phase =
                    call.connection.map { "running on connection \($0.id)\($0.isClosed ? ", which is closed" : "")" }
                    ?? "waiting for a connection"
                logger.warning(
                    "a database call has been open for \((now - call.started).components.seconds) s",
                    metadata: ["site": "\(call.site)", "phase": "\(phase)"])
            }
        }
    }
}

/// A database call whose connection closed under it without an answer. As with
/// any connection lost mid-call, a statement sent may or may not have taken
/// effect; an open transaction did not commit.
public struct ConnectionLost: Error, CustomStringConvertible {
    let site: String
    public var description: String { "the database connection closed before answering (\(site))" }
}
