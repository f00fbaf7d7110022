import Foundation
import GRDB
import Logging

/// The embedded SQLite database: one file in WAL mode, migrated on open.
public final class MarqueeDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String
    /// The migrations this open applied (none when the file was already up to date).
    public let appliedOnOpen: [String]

    /// Opens (creating if needed) the database file and applies pending migrations.
    public init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        // DatabasePool turns on WAL with synchronous=NORMAL: a commit is in the WAL
        // file before the write returns, so it survives a killed process.
        pool = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        let before = Set(try pool.read { db in try Migrations.migrator.appliedMigrations(db) })
        try Migrations.migrator.migrate(pool)
        appliedOnOpen = Migrations.migrator.migrations.filter { !before.contains($0) }
    }

    /// Names of the migrations applied so far, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await pool.read { db in try Migrations.migrator.appliedMigrations(db) }
    }

    /// Names of every migration this build knows.
    public var knownMigrations: [String] { Migrations.migrator.migrations }

    /// Whether the catalog has any city yet (demo data is loaded only into an empty one).
    public func isEmpty() async throws -> Bool {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cities") ?? 0 } == 0
    }
}

extension Date {
    /// Seconds since 1970, the representation of instants in the database.
    var storedValue: Double { timeIntervalSince1970 }
    init(storedValue: Double) { self.init(timeIntervalSince1970: storedValue) }
}
