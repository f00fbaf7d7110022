import Foundation
import GRDB
import MarqueeCore

/// A checkout's payment, recorded before the provider is called.
public struct PaymentAttempt: Sendable, Hashable {
    public var providerKey: String
    public var userId: User.ID
    public var holdId: Hold.ID
    public var amount: Money
    public var createdAt: Date

    public init(providerKey: String, userId: User.ID, holdId: Hold.ID, amount: Money, createdAt: Date) {
        self.providerKey = providerKey
        self.userId = userId
        self.holdId = holdId
        self.amount = amount
        self.createdAt = createdAt
    }
}

public protocol PaymentAttemptStore: Sendable {
    func open(_ attempt: PaymentAttempt) async throws
    func settle(_ providerKey: String) async throws
    /// Attempts still open that were started before `date`, claimed for this
    /// reconciler (where several instances run one, each attempt goes to one of them at a time).
    func open(before date: Date, now: Date) async throws -> [PaymentAttempt]
    /// The booking's payment id for a hold, when the hold was booked.
    func bookedPayment(forHold hold: Hold.ID) async throws -> (PaymentAuthorization.ID, PaymentAuthorization.Status)?
}

public struct SQLitePaymentAttemptStore: PaymentAttemptStore {
    let database: MarqueeDatabase

    public init(database: MarqueeDatabase) { self.database = database }

    public func open(_ attempt: PaymentAttempt) async throws {
        try await database.pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO payment_attempts (provider_key, user_id, hold_id, amount, currency, status, created_at)
                    VALUES (?, ?, ?, ?, ?, 'open', ?)
                    """,
                arguments: [
                    attempt.providerKey, attempt.userId.rawValue, attempt.holdId.rawValue, attempt.amount.amount,
                    attempt.amount.currency, attempt.createdAt.storedValue,
                ])
        }
    }

    public func settle(_ providerKey: String) async throws {
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE payment_attempts SET status = 'settled' WHERE provider_key = ?", arguments: [providerKey])
        }
    }

    public func open(before date: Date, now: Date) async throws -> [PaymentAttempt] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT * FROM payment_attempts WHERE status = 'open' AND created_at < ? ORDER BY created_at LIMIT 100",
                arguments: [date.storedValue]
            ).map {
                PaymentAttempt(
                    providerKey: $0["provider_key"], userId: User.ID($0["user_id"]), holdId: Hold.ID($0["hold_id"]),
                    amount: Money(amount: $0["amount"], currency: $0["currency"]),
                    createdAt: Date(storedValue: $0["created_at"]))
            }
        }
    }

    public func bookedPayment(forHold hold: Hold.ID) async throws -> (
        PaymentAuthorization.ID, PaymentAuthorization.Status
    )? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, status FROM payments WHERE hold_id = ?", arguments: [hold.rawValue])
                .map {
                    (
                        PaymentAuthorization.ID($0["id"]),
                        PaymentAuthorization.Status(rawValue: $0["status"]) ?? .authorized
                    )
                }
        }
    }
}
