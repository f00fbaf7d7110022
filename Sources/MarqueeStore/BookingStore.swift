import Foundation
import GRDB
import MarqueeCore

/// Reading bookings back; they are written by the seat ledger at checkout.
public protocol BookingStore: Sendable {
    func booking(_ id: Booking.ID) async throws -> Booking?
    func booking(forHold hold: Hold.ID) async throws -> Booking?
    /// A buyer's bookings, newest first, `limit` at a time after the `offset` newest.
    func bookings(of user: User.ID, limit: Int, offset: Int) async throws -> [Booking]
    /// Admits a ticket at the door once: the first scan wins, whatever races it.
    func checkIn(_ ticket: Ticket.ID, at: Date) async throws -> CheckIn
    /// The venue's cancellation tiers, nil when it uses the standard policy.
    func refundPolicy(venue: Venue.ID) async throws -> RefundPolicy?
    func setRefundPolicy(_ policy: RefundPolicy, venue: Venue.ID) async throws
    func refund(forBooking booking: Booking.ID) async throws -> RefundRecord?
    /// Refunds not yet paid back, oldest first, claimed for this worker (where
    /// several instances run one, each refund goes to one of them at a time).
    func pendingRefunds(at now: Date, limit: Int) async throws -> [RefundRecord]
    /// Marks a refund paid and records `refund_succeeded` in the outbox, in one transaction.
    func refundSucceeded(_ id: String, at: Date) async throws
    func refundFailed(_ id: String, error: String, at: Date) async throws
    /// Records what the payment provider did with a booking's payment.
    func updatePayment(_ id: PaymentAuthorization.ID, status: PaymentAuthorization.Status, at: Date) async throws
}

/// What the door learns from scanning a ticket.
public enum CheckIn: Sendable, Hashable {
    case admitted(Ticket)
    case alreadyUsed(Ticket, at: Date)
    case cancelled(Ticket)
    case unknown
}

public struct SQLiteBookingStore: BookingStore {
    let database: MarqueeDatabase

    public init(database: MarqueeDatabase) { self.database = database }

    public func booking(_ id: Booking.ID) async throws -> Booking? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM bookings WHERE id = ?", arguments: [id.rawValue]).map {
                try Self.booking($0, db)
            }
        }
    }

    public func booking(forHold hold: Hold.ID) async throws -> Booking? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM bookings WHERE hold_id = ?", arguments: [hold.rawValue]).map {
                try Self.booking($0, db)
            }
        }
    }

    public func bookings(of user: User.ID, limit: Int, offset: Int) async throws -> [Booking] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM bookings WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                arguments: [user.rawValue, limit, offset]
            ).map { try Self.booking($0, db) }
        }
    }

    public func checkIn(_ ticket: Ticket.ID, at date: Date) async throws -> CheckIn {
        try await database.pool.write { db in
            // One conditional update: of two scanners racing on one code, exactly one changes the row.
            try db.execute(
                sql: "UPDATE tickets SET status = 'used', used_at = ? WHERE id = ? AND status = 'valid'",
                arguments: [date.storedValue, ticket.rawValue])
            let admitted = db.changesCount == 1
            guard
                let row = try Row.fetchOne(db, sql: "SELECT * FROM tickets WHERE id = ?", arguments: [ticket.rawValue])
            else { return .unknown }
            let found = Ticket(
                id: ticket, bookingId: Booking.ID(row["booking_id"]), showId: Show.ID(row["show_id"]),
                seatId: Seat.ID(row["seat_id"]), code: row["code"],
                status: Ticket.Status(rawValue: row["status"]) ?? .cancelled)
            if admitted { return .admitted(found) }
            switch found.status {
            case .used: return .alreadyUsed(found, at: Date(storedValue: row["used_at"] ?? date.storedValue))
            case .cancelled: return .cancelled(found)
            case .valid: return .unknown
            }
        }
    }

    public func refundPolicy(venue: Venue.ID) async throws -> RefundPolicy? {
        try await database.pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT tiers FROM refund_policies WHERE venue_id = ?", arguments: [venue.rawValue]
            )
            .map { RefundPolicy(tiers: try JSONText.decode([RefundPolicy.Tier].self, $0)) }
        }
    }

    public func setRefundPolicy(_ policy: RefundPolicy, venue: Venue.ID) async throws {
        let tiers = try JSONText.encode(policy.tiers)
        try await database.pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO refund_policies (venue_id, tiers) VALUES (?, ?)",
                arguments: [venue.rawValue, tiers])
        }
    }

    public func refund(forBooking booking: Booking.ID) async throws -> RefundRecord? {
        try await database.pool.read { db in try SQLiteSeatLedger.refundRecord(forBooking: booking, db) }
    }

    public func pendingRefunds(at now: Date, limit: Int) async throws -> [RefundRecord] {
        try await database.pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT booking_id FROM refunds WHERE status = 'pending' ORDER BY created_at LIMIT ?",
                arguments: [limit]
            ).compactMap { try SQLiteSeatLedger.refundRecord(forBooking: Booking.ID($0), db) }
        }
    }

    public func refundSucceeded(_ id: String, at date: Date) async throws {
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE refunds SET status = 'succeeded', updated_at = ? WHERE id = ? AND status = 'pending'",
                arguments: [date.storedValue, id])
            guard db.changesCount == 1 else { return }
            try db.execute(
                sql:
                    "UPDATE payments SET status = 'refunded', updated_at = ? WHERE id = (SELECT payment_id FROM refunds WHERE id = ?)",
                arguments: [date.storedValue, id])
            try db.execute(
                sql: "INSERT INTO outbox (event, payload, created_at) VALUES ('refund_succeeded', ?, ?)",
                arguments: [
                    try JSONText.encode([
                        "refund_id": id,
                        "booking_id": try String.fetchOne(
                            db, sql: "SELECT booking_id FROM refunds WHERE id = ?", arguments: [id])
                            ?? "",
                    ]), date.storedValue,
                ])
        }
    }

    public func refundFailed(_ id: String, error: String, at date: Date) async throws {
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE refunds SET attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?",
                arguments: [error, date.storedValue, id])
        }
    }

    public func updatePayment(_ id: PaymentAuthorization.ID, status: PaymentAuthorization.Status, at: Date) async throws
    {
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE payments SET status = ?, updated_at = ? WHERE id = ?",
                arguments: [status.rawValue, at.storedValue, id.rawValue])
        }
    }

    private static func booking(_ row: Row, _ db: Database) throws -> Booking {
        let id = Booking.ID(row["id"])
        let tickets = try Row.fetchAll(
            db, sql: "SELECT * FROM tickets WHERE booking_id = ? ORDER BY seat_id", arguments: [id.rawValue]
        ).map { ticket in
            Ticket(
                id: Ticket.ID(ticket["id"]), bookingId: id, showId: Show.ID(ticket["show_id"]),
                seatId: Seat.ID(ticket["seat_id"]),
                code: ticket["code"], status: Ticket.Status(rawValue: ticket["status"]) ?? .cancelled)
        }
        return Booking(
            id: id, reference: row["reference"], userId: User.ID(row["user_id"]), showId: Show.ID(row["show_id"]),
            holdId: Hold.ID(row["hold_id"]), seats: try JSONText.decode([Hold.Line].self, row["seats"]),
            total: Money(amount: row["total_amount"], currency: row["currency"]),
            status: Booking.Status(rawValue: row["status"]) ?? .cancelled,
            createdAt: Date(storedValue: row["created_at"]),
            tickets: tickets)
    }
}
