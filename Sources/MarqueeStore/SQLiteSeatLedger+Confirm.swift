import Foundation
import GRDB
import MarqueeCore

extension SQLiteSeatLedger {
    /// Checkout: the hold's seats become booked and the booking, its tickets, the
    /// payment record and the outbox event are written in the same transaction.
    static func confirm(_ draft: BookingDraft, now: Date, _ db: Database) throws -> LedgerResult {
        let booking = draft.booking
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT user_id, show_id, status, expires_at FROM holds WHERE id = ?"),
                arguments: [booking.holdId.rawValue]),
            row["user_id"] as String == booking.userId.rawValue
        else { throw BookingError.notFound("hold", booking.holdId.rawValue) }
        let status = Hold.Status(rawValue: row["status"]) ?? .expired
        let expiresAt = Date(storedValue: row["expires_at"])
        switch status {
        case .confirmed: throw BookingError.holdNotActive(booking.holdId, .confirmed)
        case .released: throw BookingError.holdNotActive(booking.holdId, .released)
        case .expired: throw BookingError.holdExpired(booking.holdId)
        case .active where expiresAt <= now: throw BookingError.holdExpired(booking.holdId)
        case .active: break
        }
        let seats = booking.seats.map(\.id.rawValue)
        let marks = databaseQuestionMarks(count: seats.count)
        try db.cachedStatement(
            sql: """
                UPDATE show_seats SET status = 2, hold_id = NULL, expires_at = NULL
                WHERE show_id = ? AND hold_id = ? AND status = 1 AND seat_id IN (\(marks))
                """
        ).execute(arguments: StatementArguments([booking.showId.rawValue, booking.holdId.rawValue] + seats))
        guard db.changesCount == seats.count else {
            // Someone took a seat over after this hold ran out and was revived: never sell it twice.
            throw BookingError.seatsUnavailable(unavailable: booking.seats.map(\.id), suggested: [])
        }
        try db.cachedStatement(sql: "UPDATE holds SET status = 'confirmed', ended_at = ? WHERE id = ?")
            .execute(arguments: [now.storedValue, booking.holdId.rawValue])
        try db.execute(
            sql: """
                INSERT INTO bookings (id, reference, user_id, show_id, hold_id, seats, total_amount, currency, status, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'confirmed', ?)
                """,
            arguments: [
                booking.id.rawValue, booking.reference, booking.userId.rawValue, booking.showId.rawValue,
                booking.holdId.rawValue, draft.seatsJSON, booking.total.amount, booking.total.currency,
                booking.createdAt.storedValue,
            ])
        for ticket in booking.tickets {
            try db.cachedStatement(
                sql:
                    "INSERT INTO tickets (id, booking_id, show_id, seat_id, code, status) VALUES (?, ?, ?, ?, ?, 'valid')"
            ).execute(arguments: [
                ticket.id.rawValue, booking.id.rawValue, ticket.showId.rawValue, ticket.seatId.rawValue, ticket.code,
            ])
        }
        try db.execute(
            sql: """
                INSERT INTO payments (id, booking_id, hold_id, user_id, amount, currency, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'authorized', ?, ?)
                """,
            arguments: [
                draft.payment.id.rawValue, booking.id.rawValue, booking.holdId.rawValue, booking.userId.rawValue,
                draft.payment.amount.amount, draft.payment.amount.currency, now.storedValue, now.storedValue,
            ])
        try db.execute(
            sql: "INSERT INTO outbox (event, payload, created_at) VALUES ('booking_confirmed', ?, ?)",
            arguments: [
                try JSONText.encode(["booking_id": booking.id.rawValue, "reference": booking.reference]),
                now.storedValue,
            ])
        let state = SeatState(status: .booked)
        return .confirmed(
            booking,
            SeatDelta(
                showId: booking.showId, version: try bumpVersion(booking.showId.rawValue, db),
                seats: Dictionary(uniqueKeysWithValues: booking.seats.map { ($0.id, state) })))
    }
}
