import Foundation
import GRDB
import MarqueeCore

/// A built-in payment provider for development and tests that behaves like a
/// real one: it keeps its own ledger in its own database file (as if it were
/// another company), answers a repeated idempotency key with the first answer,
/// and has test tokens and card numbers that succeed, decline or time out.
public final class SandboxPaymentGateway: PaymentGateway, Sendable {
    /// Test cards and the tokens they turn into.
    public static let testCards: [(number: String, token: String, outcome: String)] = [
        ("4242424242424242", "tok_visa", "succeeds"),
        ("4000000000000002", "tok_declined", "is declined (card_declined)"),
        ("4000000000009995", "tok_insufficient_funds", "is declined (insufficient_funds)"),
        ("4000000000000119", "tok_timeout", "never answers in time; the status lookup tells the truth"),
    ]

    private let queue: DatabaseQueue
    private let clock: any TimeSource
    private let ids: any IdentifierSource

    public init(path: String, clock: any TimeSource, ids: any IdentifierSource) throws {
        // Several instances on one machine may share the sandbox's file: wait for each other's writes.
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        self.clock = clock
        self.ids = ids
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS psp_tokens (token TEXT PRIMARY KEY, last4 TEXT NOT NULL, created_at REAL NOT NULL);
                    CREATE TABLE IF NOT EXISTS psp_payments (
                        id TEXT PRIMARY KEY, amount INTEGER NOT NULL, currency TEXT NOT NULL, token TEXT NOT NULL,
                        status TEXT NOT NULL, decline_reason TEXT, refunded INTEGER NOT NULL DEFAULT 0,
                        created_at REAL NOT NULL);
                    CREATE TABLE IF NOT EXISTS psp_calls (
                        idempotency_key TEXT PRIMARY KEY, operation TEXT NOT NULL, payment_id TEXT,
                        outcome TEXT NOT NULL, created_at REAL NOT NULL);
                    CREATE TABLE IF NOT EXISTS psp_events (
                        id TEXT PRIMARY KEY, type TEXT NOT NULL, payment_id TEXT NOT NULL, created_at REAL NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL, delivered_at REAL);
                    CREATE INDEX IF NOT EXISTS psp_events_pending ON psp_events (next_attempt_at) WHERE delivered_at IS NULL;
                    """)
        }
    }

    // MARK: Tokens

    /// Exchanges card details for a token, as a hosted payment form would.
    public func tokenize(cardNumber: String, expiryMonth: Int, expiryYear: Int, cvc: String) throws(PaymentError)
        -> String
    {
        let digits = cardNumber.filter { !$0.isWhitespace && $0 != "-" }
        guard (12...19).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            Self.passesLuhn(digits)
        else {
            throw .rejected("card_number: not a valid card number")
        }
        guard (1...12).contains(expiryMonth) else { throw .rejected("exp_month: a month, 1 to 12") }
        guard (2000...2100).contains(expiryYear) else { throw .rejected("exp_year: a year, such as 2030") }
        let now = clock.now
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let (year, month) = (calendar.component(.year, from: now), calendar.component(.month, from: now))
        guard (expiryYear, expiryMonth) >= (year, month) else { throw .rejected("exp_year: the card has expired") }
        guard (3...4).contains(cvc.count), cvc.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .rejected("cvc: 3 or 4 digits")
        }
        if let test = Self.testCards.first(where: { $0.number == digits }) { return test.token }
        let token = ids.make(prefix: "tok")
        do {
            try queue.write { db in
                try db.execute(
                    sql: "INSERT INTO psp_tokens (token, last4, created_at) VALUES (?, ?, ?)",
                    arguments: [token, String(digits.suffix(4)), now.timeIntervalSince1970])
            }
        } catch {
            throw .rejected("the sandbox could not store the token")
        }
        return token
    }

    static func passesLuhn(_ digits: String) -> Bool {
        var sum = 0
        for (offset, character) in digits.reversed().enumerated() {
            guard var digit = character.wholeNumberValue else { return false }
            if offset % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }

    // MARK: PaymentGateway

    public func authorize(amount: Money, token: String, idempotencyKey: String) async throws(PaymentError)
        -> PaymentAuthorization
    {
        let result: Result<PaymentAuthorization, PaymentError> = await call(key: idempotencyKey, operation: "authorize")
        { db in
            let issued = try String.fetchOne(
                db, sql: "SELECT token FROM psp_tokens WHERE token = ?", arguments: [token])
            guard issued != nil || Self.testCards.contains(where: { $0.token == token }) else {
                return ("invalid_token", nil)
            }
            let id = self.ids.make(prefix: "pay")
            let (status, reason): (String, String?) =
                switch token {
                case "tok_declined": ("declined", "card_declined")
                case "tok_insufficient_funds": ("declined", "insufficient_funds")
                default: ("authorized", nil)
                }
            try db.execute(
                sql: """
                    INSERT INTO psp_payments (id, amount, currency, token, status, decline_reason, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id, amount.amount, amount.currency, token, status, reason, self.clock.now.timeIntervalSince1970,
                ])
            return (token == "tok_timeout" ? "timed_out" : status, id)
        }
        return try result.get()
    }

    public func capture(_ payment: PaymentAuthorization.ID, idempotencyKey: String) async throws(PaymentError) {
        _ = try await transition(
            payment, key: idempotencyKey, operation: "capture", from: ["authorized"], to: "captured"
        )
        .get()
    }

    public func void(_ payment: PaymentAuthorization.ID, idempotencyKey: String) async throws(PaymentError) {
        _ = try await transition(payment, key: idempotencyKey, operation: "void", from: ["authorized"], to: "voided")
            .get()
    }

    /// Refunds `amount` of a captured payment; several partial refunds may follow one
    /// another up to what was captured. The payment reads `refunded` once all of it
    /// has been given back; each refund is announced as `payment.refunded`.
    public func refund(_ payment: PaymentAuthorization.ID, amount: Money, idempotencyKey: String)
        async throws(PaymentError)
    {
        _ = try await call(key: idempotencyKey, operation: "refund") { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT status, amount, currency, refunded FROM psp_payments WHERE id = ?",
                    arguments: [payment.rawValue])
            else { return ("no_such_payment", nil) }
            let status: String = row["status"]
            let (captured, currency, refunded): (Int64, String, Int64) = (
                row["amount"], row["currency"], row["refunded"]
            )
            // A partly refunded payment stays captured; refunded means all of it went back.
            guard status == "captured" else {
                return ("cannot_refund_\(status)", payment.rawValue)
            }
            guard amount.currency == currency else { return ("cannot_refund_in_\(amount.currency)", payment.rawValue) }
            guard amount.amount > 0, refunded + amount.amount <= captured else {
                return ("cannot_refund_more_than_captured", payment.rawValue)
            }
            let total = refunded + amount.amount
            try db.execute(
                sql: "UPDATE psp_payments SET refunded = ?, status = ? WHERE id = ?",
                arguments: [total, total == captured ? "refunded" : "captured", payment.rawValue])
            try self.announce("payment.refunded", of: payment, db)
            return ("ok", payment.rawValue)
        }
        .get()
    }

    /// How much of a payment has been refunded, in its currency's minor units.
    public func refundedAmount(of payment: PaymentAuthorization.ID) async throws -> Int64 {
        try await queue.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT refunded FROM psp_payments WHERE id = ?", arguments: [payment.rawValue]) ?? 0
        }
    }

    public func status(ofCallWithKey idempotencyKey: String) async throws(PaymentError) -> PaymentAuthorization? {
        do {
            return try await queue.read { db in
                guard
                    let paymentId = try String.fetchOne(
                        db, sql: "SELECT payment_id FROM psp_calls WHERE idempotency_key = ?",
                        arguments: [idempotencyKey])
                else { return nil }
                return try Self.payment(paymentId, db)
            }
        } catch {
            throw .rejected("the sandbox could not be read")
        }
    }

    /// Payments as the sandbox's own ledger has them (what a PSP dashboard shows).
    public func payments() async throws -> [PaymentAuthorization] {
        try await queue.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM psp_payments ORDER BY created_at").compactMap {
                try Self.payment($0, db)
            }
        }
    }

    // MARK: Webhook events

    /// A change the provider announces to the merchant by webhook.
    public struct WebhookEvent: Sendable, Hashable {
        public let id: String
        public let type: String
        public let paymentId: String
        public let attempts: Int
    }

    /// Events not yet delivered whose next attempt is due.
    public func dueWebhookEvents(limit: Int = 100) async throws -> [WebhookEvent] {
        let now = clock.now.timeIntervalSince1970
        return try await queue.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, type, payment_id, attempts FROM psp_events
                    WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY created_at LIMIT ?
                    """, arguments: [now, limit]
            ).map {
                WebhookEvent(id: $0["id"], type: $0["type"], paymentId: $0["payment_id"], attempts: $0["attempts"])
            }
        }
    }

    /// Events not yet delivered, due or waiting for their next attempt.
    public func undeliveredWebhookCount() async throws -> Int {
        try await queue.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM psp_events WHERE delivered_at IS NULL") ?? 0
        }
    }

    public func markWebhookDelivered(_ id: String) async throws {
        let now = clock.now.timeIntervalSince1970
        try await queue.write { db in
            try db.execute(sql: "UPDATE psp_events SET delivered_at = ? WHERE id = ?", arguments: [now, id])
        }
    }

    /// Records a failed delivery; the next attempt waits longer each time (capped at ten minutes).
    public func markWebhookFailed(_ id: String) async throws {
        let now = clock.now.timeIntervalSince1970
        try await queue.write { db in
            let attempts =
                try Int.fetchOne(db, sql: "SELECT attempts FROM psp_events WHERE id = ?", arguments: [id]) ?? 0
            let delay = min(600, pow(2, Double(attempts)))
            try db.execute(
                sql: "UPDATE psp_events SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                arguments: [now + delay, id])
        }
    }

    // MARK: Ledger

    private func transition(
        _ payment: PaymentAuthorization.ID, key: String, operation: String, from: Set<String>, to: String
    ) async -> Result<PaymentAuthorization, PaymentError> {
        await call(key: key, operation: operation) { db in
            guard
                let current = try String.fetchOne(
                    db, sql: "SELECT status FROM psp_payments WHERE id = ?", arguments: [payment.rawValue])
            else { return ("no_such_payment", nil) }
            // Doing what was already done is fine; anything else is refused.
            if current == to { return ("ok", payment.rawValue) }
            guard from.contains(current) else { return ("cannot_\(operation)_\(current)", payment.rawValue) }
            try db.execute(sql: "UPDATE psp_payments SET status = ? WHERE id = ?", arguments: [to, payment.rawValue])
            // Like a real provider, tell the merchant about the change by webhook (delivered later, with retries).
            try self.announce("payment.\(to)", of: payment, db)
            return ("ok", payment.rawValue)
        }
    }

    /// Records a webhook event for the merchant, due at once (delivered later, with retries).
    private func announce(_ type: String, of payment: PaymentAuthorization.ID, _ db: Database) throws {
        let now = clock.now.timeIntervalSince1970
        try db.execute(
            sql: "INSERT INTO psp_events (id, type, payment_id, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [ids.make(prefix: "evt"), type, payment.rawValue, now, now])
    }

    /// Runs an operation once per idempotency key and replays its outcome afterwards.
    private func call(
        key: String, operation: String, _ body: @escaping @Sendable (Database) throws -> (String, String?)
    )
        async -> Result<PaymentAuthorization, PaymentError>
    {
        do {
            let (outcome, paymentId, payment) = try await queue.write {
                db -> (String, String?, PaymentAuthorization?) in
                if let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM psp_calls WHERE idempotency_key = ?", arguments: [key])
                {
                    let id: String? = row["payment_id"]
                    return (row["outcome"], id, try id.flatMap { try Self.payment($0, db) })
                }
                let (outcome, id) = try body(db)
                try db.execute(
                    sql:
                        "INSERT INTO psp_calls (idempotency_key, operation, payment_id, outcome, created_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [key, operation, id, outcome, self.clock.now.timeIntervalSince1970])
                return (outcome, id, try id.flatMap { try Self.payment($0, db) })
            }
            switch outcome {
            case "invalid_token": return .failure(.invalidToken("the payment token is not known to the provider"))
            case "timed_out": return .failure(.timedOut)
            case "no_such_payment": return .failure(.rejected("no such payment \(paymentId ?? "")"))
            case let other where other.hasPrefix("cannot_"): return .failure(.rejected(other))
            default:
                guard let payment else { return .failure(.rejected("no payment recorded")) }
                if payment.status == .declined {
                    return .failure(.declined(reason: payment.declineReason ?? "card_declined"))
                }
                return .success(payment)
            }
        } catch {
            return .failure(.rejected("the sandbox could not be reached"))
        }
    }

    private static func payment(_ id: String, _ db: Database) throws -> PaymentAuthorization? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM psp_payments WHERE id = ?", arguments: [id]) else {
            return nil
        }
        return PaymentAuthorization(
            id: PaymentAuthorization.ID(id), amount: Money(amount: row["amount"], currency: row["currency"]),
            status: PaymentAuthorization.Status(rawValue: row["status"]) ?? .declined,
            declineReason: row["decline_reason"])
    }
}
