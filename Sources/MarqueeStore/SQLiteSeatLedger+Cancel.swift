import Foundation
import GRDB
import MarqueeCore

extension SQLiteSeatLedger {
    /// Cancellation in one transaction: booking and tickets cancelled, seats back
    /// to available (the unique index on valid tickets lets them sell again), a
    /// pending refund and an outbox event recorded.
    static func cancel(
        _ id: Booking.ID, by user: User.ID, refund: Money, refundId: String, now: Date, _ db: Database
    ) throws -> LedgerResult {
        guard
            let booking = try Row.fetchOne(
                db, sql: "SELECT user_id, show_id, status FROM bookings WHERE id = ?", arguments: [id.rawValue]),
            booking["user_id"] as String == user.rawValue
        else { throw BookingError.notFound("booking", id.rawValue) }
        if booking["status"] as String == "cancelled" {
            guard let existing = try refundRecord(forBooking: id, db) else {
                throw BookingError.notFound("booking", id.rawValue)
            }
            return .cancelled(existing, nil)
        }
        let used =
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM tickets WHERE booking_id = ? AND status = 'used'",
                arguments: [id.rawValue]) ?? 0
        if used > 0 {
            throw BookingError.invalidField("booking_id", "a ticket of this booking was already used at the door")
        }
        guard
            let paymentId = try String.fetchOne(
                db, sql: "SELECT id FROM payments WHERE booking_id = ?", arguments: [id.rawValue])
        else { throw BookingError.notFound("payment", id.rawValue) }
        let show: String = booking["show_id"]
        let seats = try String.fetchAll(
            db, sql: "SELECT seat_id FROM tickets WHERE booking_id = ? AND status = 'valid'", arguments: [id.rawValue])
        try db.execute(
            sql: "UPDATE tickets SET status = 'cancelled' WHERE booking_id = ? AND status = 'valid'",
            arguments: [id.rawValue])
        try db.execute(
            sql: "UPDATE bookings SET status = 'cancelled', cancelled_at = ? WHERE id = ?",
            arguments: [now.storedValue, id.rawValue])
        let marks = databaseQuestionMarks(count: max(1, seats.count))
        if !seats.isEmpty {
            try db.execute(
                sql: "UPDATE show_seats SET status = 0 WHERE show_id = ? AND status = 2 AND seat_id IN (\(marks))",
                arguments: StatementArguments([show] + seats))
        }
        try db.execute(
            sql: """
                INSERT INTO refunds (id, booking_id, payment_id, amount, currency, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
                """,
            arguments: [
                refundId, id.rawValue, paymentId, refund.amount, refund.currency, now.storedValue, now.storedValue,
            ])
        try db.execute(
            sql: "INSERT INTO outbox (event, payload, created_at) VALUES ('booking_cancelled', ?, ?)",
            arguments: [try JSONText.encode(["booking_id": id.rawValue, "refund_id": refundId]), now.storedValue])
        let record = RefundRecord(
            id: refundId, bookingId: id, paymentId: PaymentAuthorization.ID(paymentId), amount: refund, status: .pending
        )
        guard !seats.isEmpty else { return .cancelled(record, nil) }
        return .cancelled(
            record,
            SeatDelta(
                showId: Show.ID(show), version: try bumpVersion(show, db),
                seats: Dictionary(uniqueKeysWithValues: seats.map { (Seat.ID($0), SeatState.available) })))
    }

    static func refundRecord(forBooking id: Booking.ID, _ db: Database) throws -> RefundRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM refunds WHERE booking_id = ?", arguments: [id.rawValue]).map {
            RefundRecord(
                id: $0["id"], bookingId: id, paymentId: PaymentAuthorization.ID($0["payment_id"]),
                amount: Money(amount: $0["amount"], currency: $0["currency"]),
                status: RefundRecord.Status(rawValue: $0["status"]) ?? .pending)
        }
    }
}
