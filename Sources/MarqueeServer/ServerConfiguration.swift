import Foundation
import Logging
import MarqueeStore

/// Everything `marquee serve` can be told, read once: command line, then
/// environment (MARQUEE_*), then these defaults.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "./data"
    /// Seconds a hold keeps its seats.
    public var holdTTL: TimeInterval = 600
    /// How long a graceful stop may take before what is still running is cancelled.
    public var shutdownGrace: Duration = .seconds(20)
    /// Load the demo catalog into an empty database.
    public var demoData = true
    public var logLevel: Logger.Level = .info
    /// bcrypt work factor for passwords (4...31).
    public var bcryptCost: UInt8 = 10
    /// How long a sign-in token stays valid.
    public var tokenLifetime: TimeInterval = 7 * 24 * 3600
    /// How often the expiry timer sweeps holds whose time is up.
    public var expirySweepInterval: Duration = .milliseconds(250)
    /// Secret for signing tokens; generated and kept in the data directory when nil.
    public var tokenSecret: String?
    /// Where booking events are POSTed, signed with `webhookSecret` (MARQUEE_WEBHOOK_URLS, comma separated).
    public var webhookURLs: [String] = []
    /// HMAC-SHA256 key of the `Marquee-Signature` header; generated and kept in the data directory when nil.
    public var webhookSecret: String?

    /// The address people use to reach Marquee, for links in e-mails (MARQUEE_PUBLIC_URL);
    /// `http://<host>:<port>` when unset.
    public var publicURL: String?

    public init() {}

    public var resolvedPublicURL: String {
        if let publicURL { return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }
        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        return "http://\(shown.contains(":") ? "[\(shown)]" : shown):\(port)"
    }

    /// A PostgreSQL database shared by several instances (MARQUEE_DATABASE_URL,
    /// `postgres://user:password@host:port/db`); nil keeps the SQLite file in the data directory.
    public var databaseURL: String?
    /// Connections each instance may open to PostgreSQL (MARQUEE_DATABASE_POOL).
    public var databasePoolSize = 20
    /// Threads that do the network I/O (MARQUEE_EVENT_LOOPS); nil leaves it to SwiftNIO,
    /// one per core. With several instances on one machine, give each its share of the cores.
    public var eventLoops: Int?
    /// Requests one instance works on at once (MARQUEE_MAX_IN_FLIGHT); later ones wait their turn.
    /// Health checks and live streams are not counted.
    public var maxInFlight = 128
    /// Requests that may wait for a turn (MARQUEE_MAX_QUEUED); one more is answered 503 at once.
    public var maxQueued = 1024
    /// A connection that has not sent a complete first request head within this
    /// is closed (against connections opened and left silent, or fed a byte at a time).
    public var firstRequestTimeout: Duration = .seconds(30)
    /// A keep-alive connection idle for this long between requests is closed.
    public var idleConnectionTimeout: Duration = .seconds(75)

    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("marquee.sqlite") }

    public var databaseLocation: DatabaseLocation {
        if let databaseURL { return .postgres(url: databaseURL, poolSize: databasePoolSize) }
        return .sqlite(path: databasePath)
    }

    /// Checks a database URL without connecting.
    public static func validateDatabaseURL(_ url: String) throws {
        _ = try PostgresBackend.configuration(url: url)
    }

    /// Fills unset values from MARQUEE_* environment variables.
    public mutating func applyEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
    {
        func value(_ name: String) -> String? { environment["MARQUEE_\(name)"].flatMap { $0.isEmpty ? nil : $0 } }
        if let host = value("HOST") { self.host = host }
        if let text = value("PORT") {
            guard let port = Int(text), (0...65535).contains(port) else {
                throw ConfigurationError("MARQUEE_PORT", text)
            }
            self.port = port
        }
        if let dir = value("DATA_DIR") { dataDirectory = dir }
        if let url = value("DATABASE_URL") {
            do { try Self.validateDatabaseURL(url) } catch {
                throw ConfigurationError("MARQUEE_DATABASE_URL", "(hidden)")
            }
            databaseURL = url
        }
        /// A whole number in `range`, or nil when unset; anything else is named in the error.
        func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let text = value(name) else { return nil }
            guard let number = Int(text), range.contains(number) else {
                throw ConfigurationError("MARQUEE_\(name)", text)
            }
            return number
        }
        if let size = try integer("DATABASE_POOL", in: 2...1000) { databasePoolSize = size }
        if let count = try integer("EVENT_LOOPS", in: 1...256) { eventLoops = count }
        if let count = try integer("MAX_IN_FLIGHT", in: 1...100_000) { maxInFlight = count }
        if let count = try integer("MAX_QUEUED", in: 0...1_000_000) { maxQueued = count }
        if let text = value("HOLD_TTL") {
            guard let ttl = TimeInterval(text), ttl >= 1, ttl <= 86400 else {
                throw ConfigurationError("MARQUEE_HOLD_TTL", text)
            }
            holdTTL = ttl
        }
        if let text = value("SHUTDOWN_GRACE") {
            guard let seconds = Int(text), (1...3600).contains(seconds) else {
                throw ConfigurationError("MARQUEE_SHUTDOWN_GRACE", text)
            }
            shutdownGrace = .seconds(seconds)
        }
        if let text = value("NO_DEMO") { demoData = !["1", "true", "yes"].contains(text.lowercased()) }
        if let text = value("LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ConfigurationError("MARQUEE_LOG_LEVEL", text)
            }
            logLevel = level
        }
        if let text = value("BCRYPT_COST") {
            guard let cost = UInt8(text), (4...31).contains(cost) else {
                throw ConfigurationError("MARQUEE_BCRYPT_COST", text)
            }
            bcryptCost = cost
        }
        if let secret = value("TOKEN_SECRET") { tokenSecret = secret }
        if let urls = value("WEBHOOK_URLS") {
            webhookURLs = urls.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            for url in webhookURLs where URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) != true {
                throw ConfigurationError("MARQUEE_WEBHOOK_URLS", url)
            }
        }
        if let secret = value("WEBHOOK_SECRET") { webhookSecret = secret }
        if let url = value("PUBLIC_URL") {
            guard URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) == true else {
                throw ConfigurationError("MARQUEE_PUBLIC_URL", url)
            }
            publicURL = url
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let name: String
    public let value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
    public var description: String { "invalid value '\(value)' for \(name)" }
}
