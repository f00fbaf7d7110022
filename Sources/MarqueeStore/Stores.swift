import Foundation
import Logging
import MarqueeCore

/// Where Marquee keeps its state: an SQLite file (the embedded default, one
/// instance) or a PostgreSQL database (any number of instances).
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String, poolSize: Int)
}

/// Every store over one database, opened and migrated together.
public struct Stores: Sendable {
    public enum Backend: Sendable {
        case sqlite(MarqueeDatabase)
        case postgres(PostgresBackend)
    }

    public let backend: Backend
    public let catalog: any CatalogStore
    public let accounts: any AccountStore
    public let ledger: any SeatLedger
    public let idempotencyKeys: any IdempotencyStore
    public let bookings: any BookingStore
    public let outbox: any OutboxStore
    public let paymentAttempts: any PaymentAttemptStore

    public static func open(_ location: DatabaseLocation, logger: Logger = Logger(label: "marquee.store")) async throws
        -> Stores
    {
        switch location {
        case .sqlite(let path):
            let database = try MarqueeDatabase(path: path)
            return Stores(
                backend: .sqlite(database), catalog: SQLiteCatalogStore(database: database),
                accounts: SQLiteAccountStore(database: database), ledger: SQLiteSeatLedger(database: database),
                idempotencyKeys: SQLiteIdempotencyStore(database: database),
                bookings: SQLiteBookingStore(database: database), outbox: SQLiteOutboxStore(database: database),
                paymentAttempts: SQLitePaymentAttemptStore(database: database))
        case .postgres(let url, let poolSize):
            let database = try await PostgresBackend(url: url, poolSize: poolSize, logger: logger)
            return Stores(
                backend: .postgres(database), catalog: PostgresCatalogStore(database: database),
                accounts: PostgresAccountStore(database: database), ledger: PostgresSeatLedger(database: database),
                idempotencyKeys: PostgresIdempotencyStore(database: database),
                bookings: PostgresBookingStore(database: database), outbox: PostgresOutboxStore(database: database),
                paymentAttempts: PostgresPaymentAttemptStore(database: database))
        }
    }

    /// Where the data is, without passwords.
    public var displayName: String {
        switch backend {
        case .sqlite(let database): database.path
        case .postgres(let database): database.displayName
        }
    }

    public var isShared: Bool {
        if case .postgres = backend { return true }
        return false
    }

    /// The migrations opening the database applied, oldest first.
    public var appliedOnOpen: [String] {
        switch backend {
        case .sqlite(let database): database.appliedOnOpen
        case .postgres(let database): database.appliedOnOpen
        }
    }

    /// Whether the database takes connections (always, for the SQLite file); with why not.
    public func reachable() async -> (reachable: Bool, problem: String) {
        switch backend {
        case .sqlite: (true, "")
        case .postgres(let database): await database.reachable()
        }
    }

    /// Database calls under way (on PostgreSQL; SQLite's are not counted: 0).
    public var openDatabaseCalls: Int {
        switch backend {
        case .sqlite: 0
        case .postgres(let database): database.calls.count
        }
    }

    /// Names of the migrations applied so far, oldest first.
    public func appliedMigrations() async throws -> [String] {
        switch backend {
        case .sqlite(let database): try await database.appliedMigrations()
        case .postgres(let database): try await PostgresMigrations.applied(database)
        }
    }

    /// Names of every migration this build knows for this backend.
    public var knownMigrations: [String] {
        switch backend {
        case .sqlite(let database): database.knownMigrations
        case .postgres: PostgresMigrations.names
        }
    }

    /// Whether the catalog has any city yet (demo data is loaded only into an empty one).
    public func isEmpty() async throws -> Bool {
        switch backend {
        case .sqlite(let database): return try await database.isEmpty()
        case .postgres(let database):
            return try await database.rows(
                "SELECT count(*)::bigint FROM cities", as: Int.self, logger: database.logger
            ).first == 0
        }
    }

    /// A secret every instance must agree on: a file beside the SQLite database,
    /// a row in PostgreSQL. Made with `make` by the first to ask.
    public func secret(named name: String, directory: String, make: () -> String) async throws -> String {
        switch backend {
        case .postgres(let database):
            return try await database.secret(named: name, make: make)
        case .sqlite:
            if let existing = Self.secretFile(named: name, directory: directory) { return existing }
            let path = (directory as NSString).appendingPathComponent(name)
            let secret = make()
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            guard
                FileManager.default.createFile(
                    atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
            else { throw CocoaError(.fileWriteUnknown) }
            return secret
        }
    }

    /// A secret kept in the data directory (SQLite), if it is there.
    public static func secretFile(named name: String, directory: String) -> String? {
        let path = (directory as NSString).appendingPathComponent(name)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return secret.isEmpty ? nil : secret
    }

    /// Lets go of the database (PostgreSQL: closes the pool).
    public func close() async {
        if case .postgres(let database) = backend { await database.close() }
    }
}
