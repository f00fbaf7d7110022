import Foundation
import Logging
import NIOPosix
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL cluster for tests: initdb and pg_ctl on a temporary
/// directory and a free port, started once per test process, stopped and removed
/// when the process ends (a watchdog removes it even after a crash).
public actor ScratchPostgres {
    public static let shared = ScratchPostgres()

    public enum Availability: Sendable {
        case ready(port: Int)
        case unavailable(String)
    }

    private var started: Task<Availability, Never>?
    private var counter = 0

    /// Starts the cluster on first use; `.unavailable` says why when the binaries are missing.
    public func availability() async -> Availability {
        if started == nil { started = Task { Self.start() } }
        return await started!.value
    }

    /// A new empty database (or a copy of `template`), as a connection URL.
    public func createDatabase(template: String? = nil) async throws -> String {
        guard case .ready(let port) = await availability() else {
            throw ScratchError("PostgreSQL is not available")
        }
        counter += 1
        let name = "t\(ProcessInfo.processInfo.processIdentifier)_\(counter)_\(UInt32.random(in: 0...UInt32.max))"
        try await Self.admin(port: port) { connection in
            let sql = "CREATE DATABASE \(name)" + (template.map { " TEMPLATE \($0)" } ?? "")
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger).collect()
        }
        return Self.url(port: port, database: name)
    }

    /// Creates `name` once (no error when it exists), for a template built by the caller.
    public func url(of name: String) async throws -> String {
        guard case .ready(let port) = await availability() else { throw ScratchError("PostgreSQL is not available") }
        return Self.url(port: port, database: name)
    }

    /// Makes `database` refuse new connections and ends its open ones (`accept`
    /// false), or lets it take connections again: a database gone out of reach.
    public func acceptConnections(to database: String, _ accept: Bool) async throws {
        guard case .ready(let port) = await availability() else { return }
        try await Self.admin(port: port) { connection in
            _ = try await connection.query(
                PostgresQuery(unsafeSQL: "ALTER DATABASE \(database) WITH ALLOW_CONNECTIONS \(accept)"),
                logger: Self.logger
            ).collect()
        }
        if !accept { try await dropConnections(to: database) }
    }

    public func dropConnections(to database: String) async throws {
        guard case .ready(let port) = await availability() else { return }
        try await Self.admin(port: port) { connection in
            _ = try await connection.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()"
                ), logger: Self.logger
            ).collect()
        }
    }

    static let user = "marquee"
    static let logger = Logger(label: "scratch-postgres")

    static func url(port: Int, database: String) -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)"
    }

    static func admin(port: Int, _ body: (PostgresConnection) async throws -> Void) async throws {
        do {
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(),
                configuration: .init(
                    host: "127.0.0.1", port: port, username: user, password: nil, database: "postgres", tls: .disable),
                id: 0, logger: logger
            ).get()
            do {
                try await body(connection)
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        } catch let error as PSQLError {
            // The server's own words, which PSQLError keeps out of its description.
            throw ScratchError(String(reflecting: error))
        }
    }

    // MARK: Starting the cluster

    /// Where Debian and others put the server binaries.
    public static func binaries() -> String? {
        var candidates: [String] = []
        if let path = ProcessInfo.processInfo.environment["PATH"] {
            candidates += path.split(separator: ":").map(String.init)
        }
        let versions =
            (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted(by: >) ?? []
        candidates += versions.map { "/usr/lib/postgresql/\($0)/bin" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
            .flatMap { directory in
                FileManager.default.isExecutableFile(atPath: "\(directory)/pg_ctl") ? directory : nil
            }
    }

    private static func start() -> Availability {
        guard let bin = binaries() else {
            return .unavailable("initdb/pg_ctl not found on PATH or under /usr/lib/postgresql (apt install postgresql)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "marquee-pg-\(UUID().uuidString)"
        ).path
        let data = directory + "/data"
        // initdb refuses to run as root: as root, the cluster belongs to the postgres user.
        let asRoot = getuid() == 0
        let owner: [String] = asRoot ? ["runuser", "-u", "postgres", "--"] : []
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if asRoot { try run(["chown", "postgres", directory]) }
            try run(
                owner + ["\(bin)/initdb", "-D", data, "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync", "-N"])
            let port = freePort()
            let options = [
                "-p \(port)", "-k \(directory)", "-c listen_addresses=127.0.0.1", "-c max_connections=1000",
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c shared_buffers=64MB",
            ].joined(separator: " ")
            try run(owner + ["\(bin)/pg_ctl", "-D", data, "-o", options, "-l", directory + "/log", "-w", "start"])
            // Stops and removes the cluster when this process ends, however it ends.
            let stop = owner.joined(separator: " ") + " \(bin)/pg_ctl -D \(data) -m immediate stop"
            try Spawn.run(
                [
                    "/bin/sh", "-c",
                    "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(stop); rm -rf \(directory)",
                ], output: "/dev/null")
            return .ready(port: port)
        } catch {
            return .unavailable("could not start a scratch cluster: \(error)")
        }
    }

    /// Runs a command to its end with posix_spawn and waitpid. (Foundation's Process
    /// waits for every process that inherited its descriptors, and the server
    /// pg_ctl starts outlives pg_ctl.)
    private static func run(_ arguments: [String]) throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("scratch-pg-\(UUID().uuidString).log")
            .path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let pid = try Spawn.run(arguments, output: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // Exited normally with code 0.
        guard status & 0x7f == 0 && (status >> 8) & 0xff == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw ScratchError("\(arguments.joined(separator: " ")) failed: \(text)")
        }
    }

    /// A port free to listen on now, below Linux's ephemeral range (32768 up), so
    /// that no outgoing connection of the busy test process takes it before the
    /// server it is meant for binds it.
    public static func freePort() -> Int {
        for _ in 0..<100 {
            let port = Int.random(in: 20000...32000)
            if let socket = try? ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: port).wait()
            {
                try? socket.close().wait()
                return port
            }
        }
        return Int.random(in: 20000...32000)
    }
}

public struct ScratchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
