import Foundation
import GRDB
import MarqueeCore

/// The first answer to a request sent with an `Idempotency-Key`, kept so that a
/// retry gets the same answer instead of doing the work again.
public struct StoredResponse: Sendable, Hashable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

public enum IdempotencyClaim: Sendable, Hashable {
    /// This request is the first with the key: do the work, then `complete` it.
    case claimed
    /// The key answered before: replay this.
    case replay(StoredResponse)
    /// The key came with a different request.
    case mismatch
    /// The first request with the key is still running.
    case inFlight
}

public protocol IdempotencyStore: Sendable {
    /// Claims `key` for `user` unless it was used before. A claim left unanswered
    /// for `abandonAfter` seconds (its server died mid-way) may be claimed again.
    func claim(user: User.ID, key: String, fingerprint: String, now: Date, abandonAfter: TimeInterval) async throws
        -> IdempotencyClaim
    func complete(user: User.ID, key: String, response: StoredResponse) async throws
    /// Gives the key up after a failure that should not be replayed (a server error).
    func abandon(user: User.ID, key: String) async throws
    /// Forgets keys first used before `date`; returns how many.
    @discardableResult func purge(before date: Date) async throws -> Int
}

public struct SQLiteIdempotencyStore: IdempotencyStore {
    let database: MarqueeDatabase

    public init(database: MarqueeDatabase) { self.database = database }

    public func claim(user: User.ID, key: String, fingerprint: String, now: Date, abandonAfter: TimeInterval)
        async throws
        -> IdempotencyClaim
    {
        try await database.pool.write { db in
            if let row = try Row.fetchOne(
                db, sql: "SELECT * FROM idempotency_keys WHERE user_id = ? AND key = ?",
                arguments: [user.rawValue, key])
            {
                if row["fingerprint"] as String != fingerprint { return .mismatch }
                if let status = row["status"] as Int? {
                    let headers = try JSONDecoder().decode(
                        [String: String].self, from: Data((row["headers"] as String? ?? "{}").utf8))
                    return .replay(StoredResponse(status: status, headers: headers, body: row["body"] ?? Data()))
                }
                if Date(storedValue: row["created_at"]) > now.addingTimeInterval(-abandonAfter) { return .inFlight }
                try db.execute(
                    sql: "UPDATE idempotency_keys SET created_at = ? WHERE user_id = ? AND key = ?",
                    arguments: [now.storedValue, user.rawValue, key])
                return .claimed
            }
            try db.execute(
                sql: "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) VALUES (?, ?, ?, ?)",
                arguments: [user.rawValue, key, fingerprint, now.storedValue])
            return .claimed
        }
    }

    public func complete(user: User.ID, key: String, response: StoredResponse) async throws {
        let headers = String(decoding: try JSONEncoder().encode(response.headers), as: UTF8.self)
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE idempotency_keys SET status = ?, headers = ?, body = ? WHERE user_id = ? AND key = ?",
                arguments: [response.status, headers, response.body, user.rawValue, key])
        }
    }

    public func purge(before date: Date) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE created_at < ?", arguments: [date.storedValue])
            return db.changesCount
        }
    }

    public func abandon(user: User.ID, key: String) async throws {
        try await database.pool.write { db in
            try db.execute(
                sql: "DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND status IS NULL",
                arguments: [user.rawValue, key])
        }
    }
}
