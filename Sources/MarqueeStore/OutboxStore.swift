import Foundation
import GRDB
import MarqueeCore

/// An event written in the same transaction as the change it reports.
public struct OutboxEvent: Sendable, Hashable {
    public var id: Int64
    public var event: String
    public var payload: [String: String]
    public var createdAt: Date
    public var attempts: Int
}

public protocol OutboxStore: Sendable {
    /// Undelivered events whose next attempt is due, oldest first.
    func due(at now: Date, limit: Int) async throws -> [OutboxEvent]
    func delivered(_ ids: [Int64], at: Date) async throws
    /// Forgets delivered events older than `date`; returns how many.
    @discardableResult func purgeDelivered(before date: Date) async throws -> Int
    func failed(_ id: Int64, error: String, retryAt: Date) async throws
}

public struct SQLiteOutboxStore: OutboxStore {
    let database: MarqueeDatabase

    public init(database: MarqueeDatabase) { self.database = database }

    public func due(at now: Date, limit: Int) async throws -> [OutboxEvent] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ?
                    ORDER BY id LIMIT ?
                    """,
                arguments: [now.storedValue, limit]
            ).map { row in
                OutboxEvent(
                    id: row["id"], event: row["event"],
                    payload: try JSONText.decode([String: String].self, row["payload"]),
                    createdAt: Date(storedValue: row["created_at"]), attempts: row["attempts"])
            }
        }
    }

    public func delivered(_ ids: [Int64], at date: Date) async throws {
        guard !ids.isEmpty else { return }
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE outbox SET delivered_at = ? WHERE id IN (\(databaseQuestionMarks(count: ids.count)))",
                arguments: StatementArguments([date.storedValue] + ids))
        }
    }

    public func purgeDelivered(before date: Date) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(
                sql: "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?",
                arguments: [date.storedValue])
            return db.changesCount
        }
    }

    public func failed(_ id: Int64, error: String, retryAt: Date) async throws {
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                arguments: [error, retryAt.storedValue, id])
        }
    }
}
