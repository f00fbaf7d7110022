import Foundation
import GRDB
import MarqueeCore

public protocol AccountStore: Sendable {
    /// Creates a user; throws `BookingError.emailTaken` when the e-mail exists.
    func createUser(_ user: User, passwordHash: String) async throws
    /// The user with this e-mail (any case) and their password hash.
    func credentials(email: String) async throws -> (user: User, passwordHash: String)?
    func user(_ id: User.ID) async throws -> User?
}

public struct SQLiteAccountStore: AccountStore {
    let database: MarqueeDatabase

    public init(database: MarqueeDatabase) { self.database = database }

    public func createUser(_ user: User, passwordHash: String) async throws {
        do {
            try await database.pool.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO users (id, email, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        user.id.rawValue, user.email, user.name, passwordHash, user.role, user.createdAt.storedValue,
                    ])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw BookingError.emailTaken(user.email)
        }
    }

    public func credentials(email: String) async throws -> (user: User, passwordHash: String)? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE email = ?", arguments: [email]).map {
                (Self.user(from: $0), $0["password_hash"])
            }
        }
    }

    public func user(_ id: User.ID) async throws -> User? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id.rawValue]).map(
                Self.user(from:))
        }
    }

    private static func user(from row: Row) -> User {
        User(
            id: User.ID(row["id"]), email: row["email"], name: row["name"], role: row["role"],
            createdAt: Date(storedValue: row["created_at"]))
    }
}
