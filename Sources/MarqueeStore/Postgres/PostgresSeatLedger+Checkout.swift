import Foundation
import Logging
import MarqueeCore
import PostgresNIO

extension PostgresSeatLedger {
    /// Checkout in one transaction: hold row, then its seats in seat order, then
    /// the booking, tickets, payment and outbox rows, then the show's version.
    func confirm(_ draft: BookingDraft, now: Date) async throws -> LedgerResult {
        let booking = draft.booking
        let delta = try await database.transaction { connection -> SeatDelta in
            guard
                let record = try await Self.fetchRecord(booking.holdId, lock: true, connection, logger: logger),
                record.userId == booking.userId
            else { throw BookingError.notFound("hold", booking.holdId.rawValue) }
            switch record.status {
            case .confirmed: throw BookingError.holdNotActive(booking.holdId, .confirmed)
            case .released: throw BookingError.holdNotActive(booking.holdId, .released)
            case .expired: throw BookingError.holdExpired(booking.holdId)
            case .active where record.expiresAt <= now: throw BookingError.holdExpired(booking.holdId)
            case .active: break
            }
            let seats = booking.seats.map(\.id.rawValue).sorted()
            let owned = try await connection.rows(
                """
                SELECT seat_id FROM show_seats
                WHERE show_id = \(booking.showId.rawValue) AND seat_id = ANY(\(seats))
                  AND hold_id = \(booking.holdId.rawValue) AND status = 1
                ORDER BY seat_id FOR UPDATE
                """, as: String.self, logger: logger)
            guard owned.count == seats.count else {
                throw BookingError.seatsUnavailable(unavailable: booking.seats.map(\.id), suggested: [])
            }
            let at = now.storedValue
            let version = try await Self.nextVersion(connection, logger: logger)
            try await connection.run(
                """
                WITH booked AS (
                    UPDATE show_seats SET status = 2, hold_id = NULL, expires_at = NULL, version = \(version)
                    WHERE show_id = \(booking.showId.rawValue) AND seat_id = ANY(\(seats))),
                  ended AS (UPDATE holds SET status = 'confirmed', ended_at = \(at) WHERE id = \(booking.holdId.rawValue)),
                  added AS (
                    INSERT INTO bookings (id, reference, user_id, show_id, hold_id, seats, total_amount, currency, status, created_at)
                    VALUES (\(booking.id.rawValue), \(booking.reference), \(booking.userId.rawValue), \(booking.showId.rawValue),
                            \(booking.holdId.rawValue), \(draft.seatsJSON), \(booking.total.amount), \(booking.total.currency),
                            'confirmed', \(booking.createdAt.storedValue))),
                  paid AS (
                    INSERT INTO payments (id, booking_id, hold_id, user_id, amount, currency, status, created_at, updated_at)
                    VALUES (\(draft.payment.id.rawValue), \(booking.id.rawValue), \(booking.holdId.rawValue),
                            \(booking.userId.rawValue), \(draft.payment.amount.amount), \(draft.payment.amount.currency),
                            'authorized', \(at), \(at)))
                INSERT INTO outbox (event, payload, created_at)
                VALUES ('booking_confirmed', \(try JSONText.encode(["booking_id": booking.id.rawValue, "reference": booking.reference])), \(at))
                """, logger: logger)
            // Tickets after the booking row exists (their foreign key needs it).
            try await connection.run(
                """
                INSERT INTO tickets (id, booking_id, show_id, seat_id, code, status)
                SELECT t.id, \(booking.id.rawValue), \(booking.showId.rawValue), t.seat_id, t.code, 'valid'
                FROM unnest(\(booking.tickets.map(\.id.rawValue)), \(booking.tickets.map(\.seatId.rawValue)),
                            \(booking.tickets.map(\.code))) AS t(id, seat_id, code)
                """, logger: logger)
            let state = SeatState(status: .booked)
            return try await Self.announce(
                booking.showId, version: version,
                seats: Dictionary(uniqueKeysWithValues: booking.seats.map { ($0.id, state) }), connection,
                logger: logger)
        }
        return .confirmed(booking, delta)
    }

    /// Cancellation in one transaction: booking row, its tickets, the seats in seat
    /// order, a pending refund and the outbox event, then the show's version.
    func cancel(_ id: Booking.ID, by user: User.ID, refund: Money, refundId: String, now: Date) async throws
        -> LedgerResult
    {
        try await database.transaction { connection in
            guard
                let booking = try await connection.rows(
                    "SELECT user_id, show_id, status FROM bookings WHERE id = \(id.rawValue) FOR UPDATE",
                    as: (String, String, String).self, logger: logger
                ).first, booking.0 == user.rawValue
            else { throw BookingError.notFound("booking", id.rawValue) }
            if booking.2 == "cancelled" {
                guard let existing = try await Self.refundRecord(forBooking: id, connection, logger: logger) else {
                    throw BookingError.notFound("booking", id.rawValue)
                }
                return .cancelled(existing, nil)
            }
            let tickets = try await connection.rows(
                "SELECT seat_id, status FROM tickets WHERE booking_id = \(id.rawValue) ORDER BY seat_id FOR UPDATE",
                as: (String, String).self, logger: logger)
            if tickets.contains(where: { $0.1 == "used" }) {
                throw BookingError.invalidField("booking_id", "a ticket of this booking was already used at the door")
            }
            guard
                let paymentId = try await connection.rows(
                    "SELECT id FROM payments WHERE booking_id = \(id.rawValue)", as: String.self, logger: logger
                ).first
            else { throw BookingError.notFound("payment", id.rawValue) }
            let show = booking.1
            let seats = tickets.filter { $0.1 == "valid" }.map(\.0)
            let at = now.storedValue
            try await connection.run(
                """
                SELECT seat_id FROM show_seats WHERE show_id = \(show) AND seat_id = ANY(\(seats))
                ORDER BY seat_id FOR UPDATE
                """, logger: logger)
            let version = try await Self.nextVersion(connection, logger: logger)
            try await connection.run(
                """
                WITH voided AS (UPDATE tickets SET status = 'cancelled' WHERE booking_id = \(id.rawValue) AND status = 'valid'),
                  ended AS (UPDATE bookings SET status = 'cancelled', cancelled_at = \(at) WHERE id = \(id.rawValue)),
                  freed AS (
                    UPDATE show_seats SET status = 0, version = \(version)
                    WHERE show_id = \(show) AND status = 2 AND seat_id = ANY(\(seats))),
                  owed AS (
                    INSERT INTO refunds (id, booking_id, payment_id, amount, currency, status, created_at, updated_at)
                    VALUES (\(refundId), \(id.rawValue), \(paymentId), \(refund.amount), \(refund.currency), 'pending', \(at), \(at)))
                INSERT INTO outbox (event, payload, created_at)
                VALUES ('booking_cancelled', \(try JSONText.encode(["booking_id": id.rawValue, "refund_id": refundId])), \(at))
                """, logger: logger)
            let record = RefundRecord(
                id: refundId, bookingId: id, paymentId: PaymentAuthorization.ID(paymentId), amount: refund,
                status: .pending)
            guard !seats.isEmpty else { return .cancelled(record, nil) }
            return .cancelled(
                record,
                try await Self.announce(
                    Show.ID(show), version: version,
                    seats: Dictionary(uniqueKeysWithValues: seats.map { (Seat.ID($0), .available) }), connection,
                    logger: logger))
        }
    }

    static func refundRecord(forBooking id: Booking.ID, _ connection: PostgresConnection, logger: Logger) async throws
        -> RefundRecord?
    {
        let rows: [(String, String, Int64, String, String)] = try await connection.rows(
            "SELECT id, payment_id, amount, currency, status FROM refunds WHERE booking_id = \(id.rawValue)",
            as: (String, String, Int64, String, String).self, logger: logger)
        return rows.first.map {
            RefundRecord(
                id: $0.0, bookingId: id, paymentId: PaymentAuthorization.ID($0.1),
                amount: Money(amount: $0.2, currency: $0.3), status: RefundRecord.Status(rawValue: $0.4) ?? .pending)
        }
    }
}
