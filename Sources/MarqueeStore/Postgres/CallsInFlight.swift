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
/// open `grace` after its connection closed fails with `ConnectionLost`.
///
/// While the database refuses connections, the pool keeps a call that waits for
/// one waiting while it retries, up to a minute. A call that has waited
/// `patience` makes the pool's owner ask whether the database takes connections
/// at all (`reachable`); if not, the calls waiting that long fail with
/// `NoConnection` at once. A busy pool (the database reachable, every connection
/// in use) keeps its callers waiting in turn. A call open longer than a minute
/// is logged with its place in the code.
final class CallsInFlight: Sendable {
    struct Call: Sendable {
        let site: String
        let started: ContinuousClock.Instant
        /// The connection it runs on, once it has one.
        var connection: PostgresConnection?
        var reported: ContinuousClock.Instant?
        /// Answered with an error already (its connection closed, or none came);
        /// a connection leased after that is handed back unused.
        var abandoned = false
        /// Answers the caller with an error; set before the work starts.
        var fail: (@Sendable (any Error) -> Void)?
        var work: Task<Void, Never>?
        /// The caller was cancelled before its work was recorded.
        var cancelled = false
    }

    private struct State {
        var next: UInt64 = 0
        var open: [UInt64: Call] = [:]
        /// Connections whose closing is watched (once each).
        var watched: Set<Int> = []
    }

    private let state = Mutex(State())
    private let grace: Duration
    let patience: Duration
    private let logger: Logger

    init(grace: Duration = .seconds(2), patience: Duration = .seconds(3), logger: Logger) {
        self.grace = grace
        self.patience = patience
        self.logger = logger
    }

    /// Runs `body` on a pooled connection of `client`, as a call made at `site`:
    /// in a task of its own, answered by that task or, if its connection closes
    /// and the task has not answered `grace` later, by `ConnectionLost`, or if no
    /// connection comes while the database is out of reach, by `NoConnection`.
    func run<T: Sendable>(
        site: String, on client: PostgresClient, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let id = begin(site)
        defer { end(id) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let answered = Once()
                let fail: @Sendable (any Error) -> Void = { error in
                    if answered.first() { continuation.resume(throwing: error) }
                }
                state.withLock { $0.open[id]?.fail = fail }
                let work = Task {
                    do {
                        let value = try await client.withConnection { connection in
                            guard self.attach(id, to: connection) else { throw CancellationError() }
                            return try await body(connection)
                        }
                        if answered.first() { continuation.resume(returning: value) }
                    } catch {
                        fail(error)
                    }
                }
                let cancelled = state.withLock { state -> Bool in
                    state.open[id]?.work = work
                    return state.open[id]?.cancelled ?? false
                }
                if cancelled { work.cancel() }
            }
        } onCancel: {
            state.withLock { state -> Task<Void, Never>? in
                state.open[id]?.cancelled = true
                return state.open[id]?.work
            }?.cancel()
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

    /// Records that call `id` got `connection`, and watches the connection's
    /// closing (once per connection). False if the call was answered already.
    private func attach(_ id: UInt64, to connection: PostgresConnection) -> Bool {
        let (attached, watch) = state.withLock { state -> (Bool, Bool) in
            guard let call = state.open[id], !call.abandoned else { return (false, false) }
            state.open[id]?.connection = connection
            return (true, state.watched.insert(connection.id).inserted)
        }
        if watch {
            // Runs at once if the connection is already closed.
            connection.closeFuture.whenComplete { _ in self.closed(connection.id) }
        }
        return attached
    }

    /// Marks the calls `which` selects abandoned and answers each with `error`.
    private func abandon(
        where which: (Call) -> Bool, with error: (Call) -> any Error
    ) -> [Call] {
        let abandoned = state.withLock { state -> [Call] in
            var chosen: [Call] = []
            for (id, call) in state.open where !call.abandoned && which(call) {
                state.open[id]?.abandoned = true
                chosen.append(call)
            }
            return chosen
        }
        for call in abandoned {
            call.fail?(error(call))
            call.work?.cancel()
        }
        return abandoned
    }

    /// A connection closed: calls on it that have not answered within `grace` are failed.
    private func closed(_ connection: Int) {
        Task {
            try? await Task.sleep(for: grace)
            state.withLock { _ = $0.watched.remove(connection) }
            let stuck = abandon(where: { $0.connection?.id == connection }, with: { ConnectionLost(site: $0.site) })
            for call in stuck {
                logger.warning(
                    "a database call got no answer from a connection that closed; it fails instead of waiting for ever",
                    metadata: ["site": "\(call.site)", "psql_connection_id": "\(connection)"])
            }
        }
    }

    /// The calls under way, and how many of them still wait for a connection.
    var counts: (open: Int, waiting: Int) {
        state.withLock { state in
            let live = state.open.values.filter { !$0.abandoned }
            return (live.count, live.count { $0.connection == nil })
        }
    }

    /// The calls that have waited `patience` or longer for a connection.
    func waitingLong(now: ContinuousClock.Instant = .now) -> Int {
        state.withLock { state in
            state.open.values.count { !$0.abandoned && $0.connection == nil && now - $0.started >= patience }
        }
    }

    /// Every second: if a call has waited `patience` for a connection, asks
    /// `reachable`; while the database is out of reach, such calls fail with
    /// `NoConnection`. Until cancelled.
    func cutWaits(reachable: @Sendable () async -> (reachable: Bool, problem: String)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard waitingLong() > 0 else { continue }
            let (up, problem) = await reachable()
            guard !up else { continue }
            let now = ContinuousClock.now
            let failed = abandon(
                where: { $0.connection == nil && now - $0.started >= self.patience },
                with: { NoConnection(site: $0.site, problem: problem) })
            if let first = failed.first {
                logger.warning(
                    "database calls waiting for a connection fail: the database is out of reach",
                    metadata: ["calls": "\(failed.count)", "site": "\(first.site)", "problem": "\(problem)"])
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

/// A database call that got no connection while the database was out of reach
/// (it refused a connection of its own too). Nothing was sent.
public struct NoConnection: Error, CustomStringConvertible {
    let site: String
    let problem: String
    public var description: String { "no database connection: \(problem) (\(site))" }
}
