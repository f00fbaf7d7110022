import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MarqueeServer
import MarqueeStore
import NIOCore

@main
struct Marquee: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Marquee: a seat-booking box office for cinemas and live events.",
        subcommands: [Serve.self, Migrate.self, Seed.self, VerifyTicket.self, Bench.self],
        defaultSubcommand: Serve.self)
}

/// Options shared by the commands that open the database.
struct StoreOptions: ParsableArguments {
    @Option(
        help: "Directory of the SQLite database, mailbox and sandbox provider (env MARQUEE_DATA_DIR, default ./data).")
    var dataDir: String?
    @Option(
        help:
            "PostgreSQL shared by several instances, postgres://user:password@host:port/db (env MARQUEE_DATABASE_URL); without it, SQLite."
    )
    var databaseUrl: String?
    @Option(
        parsing: .unconditional, help: "Connections to PostgreSQL per instance (env MARQUEE_DATABASE_POOL, default 20)."
    )
    var databasePool: Int?

    func configuration() throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        try configuration.applyEnvironment()
        if let dataDir { configuration.dataDirectory = dataDir }
        if let databaseUrl {
            do { try ServerConfiguration.validateDatabaseURL(databaseUrl) } catch {
                throw ValidationError("\(error)")
            }
            configuration.databaseURL = databaseUrl
        }
        if let databasePool {
            guard (2...1000).contains(databasePool) else { throw ValidationError("--database-pool must be 2...1000") }
            configuration.databasePoolSize = databasePool
        }
        return configuration
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the box office (the default command).")

    @Option(help: "Address to listen on (env MARQUEE_HOST, default 127.0.0.1).") var host: String?
    @Option(parsing: .unconditional, help: "Port to listen on; 0 picks a free one (env MARQUEE_PORT, default 8080).")
    var port: Int?
    @OptionGroup var store: StoreOptions
    @Option(parsing: .unconditional, help: "Seconds a hold keeps its seats (env MARQUEE_HOLD_TTL, default 600).")
    var holdTtl: Int?
    @Option(
        parsing: .unconditional,
        help:
            "Seconds a graceful stop (SIGTERM) may take before what is still running is cancelled (env MARQUEE_SHUTDOWN_GRACE, default 20)."
    ) var shutdownGrace: Int?
    @Flag(help: "Do not load demo data into an empty database (env MARQUEE_NO_DEMO=1).") var noDemo = false
    @Option(
        parsing: .unconditional,
        help:
            "Threads for network I/O (env MARQUEE_EVENT_LOOPS, default one per core); with several instances on one machine, give each its share."
    ) var eventLoops: Int?
    @Option(
        parsing: .unconditional,
        help:
            "Requests worked on at once; later ones wait their turn (env MARQUEE_MAX_IN_FLIGHT, default 128; health checks and live streams are not counted)."
    ) var maxInFlight: Int?
    @Option(
        parsing: .unconditional,
        help:
            "Requests that may wait for a turn; one more is answered 503 server_busy at once (env MARQUEE_MAX_QUEUED, default 1024)."
    ) var maxQueued: Int?
    @Option(help: "trace, debug, info, notice, warning, error or critical (env MARQUEE_LOG_LEVEL, default info).")
    var logLevel: String?

    func run() async throws {
        var configuration = try store.configuration()
        if let host { configuration.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
            configuration.port = port
        }
        if let holdTtl {
            guard (1...86400).contains(holdTtl) else { throw ValidationError("--hold-ttl must be 1...86400 seconds") }
            configuration.holdTTL = TimeInterval(holdTtl)
        }
        if let shutdownGrace {
            guard (1...3600).contains(shutdownGrace) else {
                throw ValidationError("--shutdown-grace must be 1...3600 seconds")
            }
            configuration.shutdownGrace = .seconds(shutdownGrace)
        }
        if noDemo { configuration.demoData = false }
        if let eventLoops {
            guard (1...256).contains(eventLoops) else { throw ValidationError("--event-loops must be 1...256") }
            configuration.eventLoops = eventLoops
        }
        // Before anything uses SwiftNIO's shared event loops (the HTTP server and the PostgreSQL pool do).
        if let loops = configuration.eventLoops { NIOSingletons.groupLoopCountSuggestion = loops }
        if let maxInFlight {
            guard (1...100_000).contains(maxInFlight) else {
                throw ValidationError("--max-in-flight must be 1...100000")
            }
            configuration.maxInFlight = maxInFlight
        }
        if let maxQueued {
            guard (0...1_000_000).contains(maxQueued) else { throw ValidationError("--max-queued must be 0...1000000") }
            configuration.maxQueued = maxQueued
        }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ValidationError("unknown --log-level \(logLevel)")
            }
            configuration.logLevel = level
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        if configuration.databaseURL == nil { try SQLiteInstanceLock.take(database: configuration.databasePath) }
        let box = try await BoxOffice.open(configuration)
        do {
            try await serve(box)
        } catch {
            await box.stores.close()
            throw error
        }
        await box.stores.close()
        box.logger.info("stopped cleanly")
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or migrate the database, then exit.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let configuration = try store.configuration()
        let stores = try await Stores.open(configuration.databaseLocation)
        let applied = try await stores.appliedMigrations()
        let now = stores.appliedOnOpen
        await stores.close()
        if now.isEmpty {
            print(
                "\(stores.displayName) is up to date: \(applied.count) migrations, the last \(applied.last ?? "none")")
        } else {
            print("migrated \(stores.displayName): applied \(now.joined(separator: ", ")) (\(applied.count) in all)")
        }
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the demo data into an empty database, then exit.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        var configuration = try store.configuration()
        configuration.demoData = false
        let box = try await BoxOffice.open(configuration)
        guard try await box.stores.isEmpty() else {
            await box.stores.close()
            print("\(box.stores.displayName) already has a catalog; nothing loaded")
            return
        }
        try await DemoData.load(
            into: box.stores.catalog, accounts: box.accounts, clock: box.environment.clock, ids: box.environment.ids,
            bcryptCost: configuration.bcryptCost)
        await box.stores.close()
        print("loaded demo data into \(box.stores.displayName)")
    }
}
