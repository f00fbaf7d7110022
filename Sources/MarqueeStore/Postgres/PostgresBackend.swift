import Foundation
import Logging
import MarqueeCore
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// A PostgreSQL database shared by any number of Marquee instances: a pool of
/// connections, migrated on open, and one extra connection that listens for seat
/// changes made by the other instances.
public final class PostgresBackend: Sendable {
    public let client: PostgresClient
    /// Where it is, with the password left out (for logs and `marquee migrate`).
    public let displayName: String
    let url: String
    let connection: PostgresClient.Configuration
    let logger: Logger
    let announcer: SeatAnnouncer
    /// Marks this process's announcements, which its own listener skips: it
    /// applied those changes when it made them.
    let origin = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private let running: Task<Void, Never>
    private let watching: Task<Void, Never>
    /// Database calls under way; one open for over a minute is logged with where it was made.
    let calls: CallsInFlight
    /// Whether the database takes connections at all, asked when a call waits long for one.
    let reachability: Reachability
    /// Database calls under way, and how many of them wait for a pooled connection.
    public var callCounts: (open: Int, waitingForConnection: Int) {
        let counts = calls.counts
        return (counts.open, counts.waiting)
    }
    /// The migrations this open applied (none when the database was already up to date).
    public var appliedOnOpen: [String] { migrated.withLock { $0 } }
    private let migrated = Mutex<[String]>([])

    /// Connects (lazily: the pool opens connections on demand) and applies pending migrations.
    /// A call that has waited `patience` for a connection while the database
    /// refuses connections fails then (503), not after the pool's minute of retries.
    public init(
        url: String, poolSize: Int = 20, patience: Duration = .seconds(3),
        logger: Logger = Logger(label: "marquee.postgres")
    ) async throws {
        var configuration = try Self.configuration(url: url)
        configuration.options.maximumConnections = max(2, poolSize)
        configuration.options.connectionIdleTimeout = .seconds(30)
        connection = configuration
        self.url = url
        displayName = Self.displayName(configuration)
        self.logger = logger
        calls = CallsInFlight(patience: patience, logger: logger)
        reachability = Reachability(url: url, logger: logger)
        // One connection first, outside the pool: a wrong password, a missing role or
        // an unreachable host is reported at once with its cause, instead of after the
        // pool has retried for a minute.
        do {
            try await Self.connect(url: url, id: 0, logger: logger).close()
        } catch {
            throw DatabaseOpenError(
                description:
                    "cannot connect to \(Self.displayName(configuration)): \(DatabaseFailure.explain(error))")
        }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        announcer = SeatAnnouncer(client: client, origin: origin, calls: calls, logger: logger)
        // Started immediately, so the pool is marked running before the migrations lease a connection.
        running = Task.immediate { await client.run() }
        watching = Task { [calls, reachability] in
            await withDiscardingTaskGroup { group in
                group.addTask { await calls.watch(limit: .seconds(60), every: .seconds(10)) }
                group.addTask { await calls.cutWaits(reachable: { await reachability.check() }) }
            }
        }
        do {
            let applied = try await PostgresMigrations.migrate(self)
            migrated.withLock { $0 = applied }
        } catch {
            running.cancel()
            watching.cancel()
            throw DatabaseOpenError(
                description: "migrating \(displayName) failed: \(DatabaseFailure.explain(error))")
        }
    }

    /// Closes the pool: waits for queries in flight, then ends the connections,
    /// giving up after `timeout` so that a stuck connection cannot keep a stopping
    /// process alive.
    public func close(timeout: Duration = .seconds(5)) async {
        watching.cancel()
        running.cancel()
        let running = running
        let once = Once()
        let logger = logger
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Task {
                await running.value
                if once.first() { continuation.resume() }
            }
            Task {
                try? await Task.sleep(for: timeout)
                if once.first() {
                    logger.warning("the PostgreSQL pool did not close in time; stopping anyway")
                    continuation.resume()
                }
            }
        }
    }

    /// `postgres://user:password@host:port/database?sslmode=disable|require`.
    public static func configuration(url text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), let scheme = url.scheme,
            ["postgres", "postgresql"].contains(scheme.lowercased()), let host = url.host, !host.isEmpty
        else {
            throw DatabaseURLError(reason: "expected postgres://user:password@host:port/database")
        }
        let user = url.user?.removingPercentEncoding ?? "postgres"
        let password = url.password?.removingPercentEncoding
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        let mode = url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw DatabaseURLError(reason: "sslmode must be disable, prefer or require, not '\(mode)'")
        }
        return PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user, password: password,
            database: database.isEmpty ? user : database, tls: tls)
    }

    static func displayName(_ configuration: PostgresClient.Configuration) -> String {
        "postgres://\(configuration.username)@\(configuration.host ?? "?"):\(configuration.port ?? 5432)/\(configuration.database ?? "")"
    }

    /// A connection of its own, outside the pool.
    static func connect(url: String, id: Int, logger: Logger, timeout: TimeAmount = .seconds(10)) async throws
        -> PostgresConnection
    {
        let components = try configuration(url: url)
        let tls: PostgresConnection.Configuration.TLS
        if let required = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "sslmode" })?.value,
            required != "disable"
        {
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        } else {
            tls = .disable
        }
        var configuration = PostgresConnection.Configuration(
            host: components.host ?? "localhost", port: components.port ?? 5432, username: components.username,
            password: components.password, database: components.database, tls: tls)
        configuration.options.connectTimeout = timeout
        return try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: id, logger: logger
        ).get()
    }

    /// Listens on its own connection (not the pool's) for the seat changes every
    /// instance announces, handing each to `changes`; `connected` runs once the
    /// LISTEN is in place. Returns or throws when the connection ends.
    public func listenForSeatChanges(
        connected: @Sendable () -> Void, changes: @Sendable (SeatDelta) -> Void
    ) async throws {
        let connection = try await Self.connect(url: url, id: 1, logger: logger)
        do {
            // The notification stream does not end on cancellation by itself: closing the connection ends it.
            try await withTaskCancellationHandler {
                try await connection.listen(on: PostgresSeatLedger.channel) { notifications in
                    connected()
                    let mine = origin + " "
                    for try await notification in notifications where !notification.payload.hasPrefix(mine) {
                        if let delta = PostgresSeatLedger.delta(fromNotification: notification.payload) {
                            changes(delta)
                        }
                    }
                }
            } onCancel: {
                _ = connection.close() as EventLoopFuture<Void>
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    /// Rows of one statement on a pooled connection.
    func rows<T: PostgresDecodable & Sendable>(
        _ query: PostgresQuery, as type: T.Type, logger: Logger, file: String = #fileID, line: Int = #line
    ) async throws -> [T] {
        try await withConnection(file: file, line: line) { try await $0.rows(query, as: type, logger: logger) }
    }

    func rows<each T: PostgresDecodable & Sendable>(
        _ query: PostgresQuery, as types: (repeat each T).Type, logger: Logger, file: String = #fileID,
        line: Int = #line
    ) async throws -> [(repeat each T)] {
        try await withConnection(file: file, line: line) { try await $0.rows(query, as: types, logger: logger) }
    }

    /// Runs `body` in one transaction on one pooled connection. An error thrown by
    /// `body` (a `BookingError` among them) rolls back and comes out unchanged.
    func transaction<T: Sendable>(
        file: String = #fileID, line: Int = #line, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection(file: file, line: line) { [logger] connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Runs one statement on a pooled connection; returns how many rows it returned.
    @discardableResult
    func execute(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> Int {
        try await withConnection(file: file, line: line) { [logger] in try await $0.run(query, logger: logger) }
    }

    /// A secret every instance shares: made by the first to ask, kept in the database.
    /// A kept secret read over one connection of its own, without opening the pool
    /// (which applies migrations): nil when it is not there, or the database has no
    /// secrets table at all (not a Marquee database).
    public static func existingSecret(url: String, named name: String, logger: Logger) async throws -> String? {
        let connection = try await connect(url: url, id: 0, logger: logger)
        defer { Task { try? await connection.close() } }
        guard try await hasTable("secrets", connection, logger: logger) else { return nil }
        let rows = try await connection.query("SELECT value FROM secrets WHERE name = \(name)", logger: logger)
            .collect()
        return try rows.first?.decode(String.self)
    }

    /// Whether the database at `url` has Marquee's tables (its migrations ran there).
    public static func hasMarqueeTables(url: String, logger: Logger) async throws -> Bool {
        let connection = try await connect(url: url, id: 0, logger: logger)
        defer { Task { try? await connection.close() } }
        return try await hasTable("marquee_migrations", connection, logger: logger)
    }

    private static func hasTable(_ name: String, _ connection: PostgresConnection, logger: Logger) async throws -> Bool
    {
        try await connection.query("SELECT to_regclass(\(name)) IS NOT NULL", logger: logger).collect().first?
            .decode(Bool.self) ?? false
    }

    public func secret(named name: String, make: () -> String) async throws -> String {
        let candidate = make()
        try await execute(
            "INSERT INTO secrets (name, value) VALUES (\(name), \(candidate)) ON CONFLICT (name) DO NOTHING")
        for value in try await rows("SELECT value FROM secrets WHERE name = \(name)", as: String.self, logger: logger) {
            return value
        }
        throw UnexpectedAnswer("secret \(name) vanished")
    }
}

/// The database answered something the code does not expect (a bug, not bad input).
struct UnexpectedAnswer: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Opening the database failed: it cannot be reached, refuses the role, or a
/// migration failed; `description` carries what PostgreSQL said.
public struct DatabaseOpenError: Error, CustomStringConvertible {
    public let description: String
}

public struct DatabaseURLError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "invalid database URL: \(reason)" }
}

extension PostgresConnection {
    /// Rows of one statement, decoded as they arrive.
    func rows<each T: PostgresDecodable & Sendable>(
        _ query: PostgresQuery, as types: (repeat each T).Type, logger: Logger
    )
        async throws -> [(repeat each T)]
    {
        var out: [(repeat each T)] = []
        for try await row in try await self.query(query, logger: logger).decode((repeat each T).self) {
            out.append(row)
        }
        return out
    }

    /// Runs a statement; returns how many rows it returned (add `RETURNING 1` to count changes).
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        try await self.query(query, logger: logger).collect().count
    }
}

extension PostgresConnection {
    /// One column of each row.
    func rows<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type, logger: Logger) async throws
        -> [T]
    {
        var out: [T] = []
        for try await row in try await self.query(query, logger: logger).decode(T.self) { out.append(row) }
        return out
    }
}

extension PSQLError {
    /// The SQLSTATE the server answered, e.g. 23505 for a unique violation.
    var sqlState: String? { serverInfo?[.sqlState] }
}

/// Sends committed seat changes to every instance (NOTIFY marquee_seats), many
/// per transaction, from one task per instance. A transaction that NOTIFYs holds
/// a cluster-wide lock through its commit, so announcing outside the changes'
/// own transactions keeps their commits parallel. An instance that dies between
/// a commit and its announcement leaves the others' boards behind on those
/// seats; a held seat frees itself on the boards when its hold runs out, and the
/// database still decides every hold.
final class SeatAnnouncer: Sendable {
    private struct State {
        var pending: [String] = []
        var sending = false
    }
    private let state = Mutex(State())
    private let client: PostgresClient
    private let origin: String
    private let logger: Logger
    private let calls: CallsInFlight

    init(client: PostgresClient, origin: String, calls: CallsInFlight, logger: Logger) {
        self.client = client
        self.origin = origin
        self.calls = calls
        self.logger = logger
    }

    func announce(_ deltas: [SeatDelta]) {
        guard !deltas.isEmpty else { return }
        let payloads = deltas.map {
            origin + " " + String($0.version) + " " + PostgresSeatLedger.notice(show: $0.showId, seats: $0.seats)
        }
        let start = state.withLock { state -> Bool in
            state.pending += payloads
            if state.sending { return false }
            state.sending = true
            return true
        }
        if start { Task { await self.send() } }
    }

    private func send() async {
        while true {
            let batch = state.withLock { state -> [String] in
                if state.pending.isEmpty {
                    state.sending = false
                    return []
                }
                let batch = Array(state.pending.prefix(500))
                state.pending.removeFirst(batch.count)
                return batch
            }
            if batch.isEmpty { return }
            do {
                try await calls.run(site: "\(#fileID):\(#line)", on: client) { [logger] connection in
                    try await connection.run(
                        "SELECT pg_notify(\(PostgresSeatLedger.channel), payload)::text FROM unnest(\(batch)) AS payload",
                        logger: logger)
                }
            } catch {
                logger.error("announcing seat changes failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }
}

/// True for the first caller only.
final class Once: Sendable {
    private let done = Mutex(false)
    func first() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
