import Foundation
import Logging
import MarqueeCore
import PostgresNIO

public struct PostgresBookingStore: BookingStore {
    let database: PostgresBackend
    var logger: Logger { database.logger }
    public init(database: PostgresBackend) { self.database = database }

    public func booking(_ id: Booking.ID) async throws -> Booking? {
        try await bookings(where: "id = \(id.rawValue)").first
    }

    public func booking(forHold hold: Hold.ID) async throws -> Booking? {
        try await bookings(where: "hold_id = \(hold.rawValue)").first
    }

    public func bookings(of user: User.ID, limit: Int, offset: Int) async throws -> [Booking] {
        try await bookings(
            where: "user_id = \(user.rawValue) ORDER BY created_at DESC, id DESC LIMIT \(limit) OFFSET \(offset)")
    }

    private func bookings(where condition: PostgresQuery) async throws -> [Booking] {
        var query = PostgresQuery(
            unsafeSQL: """
                SELECT id, reference, user_id, show_id, hold_id, seats, total_amount, currency, status, created_at
                FROM bookings WHERE 
                """)
        query.sql += condition.sql
        query.binds = condition.binds
        let rows = try await database.rows(
            query, as: (String, String, String, String, String, String, Int64, String, String, Double).self,
            logger: logger)
        guard !rows.isEmpty else { return [] }
        var tickets: [String: [Ticket]] = [:]
        for (id, booking, show, seat, code, status) in try await database.rows(
            """
            SELECT id, booking_id, show_id, seat_id, code, status FROM tickets
            WHERE booking_id = ANY(\(rows.map(\.0))) ORDER BY seat_id
            """, as: (String, String, String, String, String, String).self, logger: logger)
        {
            tickets[booking, default: []].append(
                Ticket(
                    id: Ticket.ID(id), bookingId: Booking.ID(booking), showId: Show.ID(show), seatId: Seat.ID(seat),
                    code: code, status: Ticket.Status(rawValue: status) ?? .cancelled))
        }
        return try rows.map {
            Booking(
                id: Booking.ID($0.0), reference: $0.1, userId: User.ID($0.2), showId: Show.ID($0.3),
                holdId: Hold.ID($0.4), seats: try JSONText.decode([Hold.Line].self, $0.5),
                total: Money(amount: $0.6, currency: $0.7), status: Booking.Status(rawValue: $0.8) ?? .cancelled,
                createdAt: Date(storedValue: $0.9), tickets: tickets[$0.0] ?? [])
        }
    }

    public func checkIn(_ ticket: Ticket.ID, at date: Date) async throws -> CheckIn {
        try await database.transaction { connection in
            // One conditional update: of two scanners racing on one code, exactly one changes the row.
            let admitted = try await connection.run(
                """
                UPDATE tickets SET status = 'used', used_at = \(date.storedValue)
                WHERE id = \(ticket.rawValue) AND status = 'valid' RETURNING 1
                """, logger: logger)
            guard
                let row = try await connection.rows(
                    "SELECT booking_id, show_id, seat_id, code, status, used_at FROM tickets WHERE id = \(ticket.rawValue)",
                    as: (String, String, String, String, String, Double?).self, logger: logger
                ).first
            else { return .unknown }
            let found = Ticket(
                id: ticket, bookingId: Booking.ID(row.0), showId: Show.ID(row.1), seatId: Seat.ID(row.2), code: row.3,
                status: Ticket.Status(rawValue: row.4) ?? .cancelled)
            if admitted == 1 { return .admitted(found) }
            switch found.status {
            case .used: return .alreadyUsed(found, at: Date(storedValue: row.5 ?? date.storedValue))
            case .cancelled: return .cancelled(found)
            case .valid: return .unknown
            }
        }
    }

    public func refundPolicy(venue: Venue.ID) async throws -> RefundPolicy? {
        try await database.rows(
            "SELECT tiers FROM refund_policies WHERE venue_id = \(venue.rawValue)", as: String.self, logger: logger
        ).first.map { RefundPolicy(tiers: try JSONText.decode([RefundPolicy.Tier].self, $0)) }
    }

    public func setRefundPolicy(_ policy: RefundPolicy, venue: Venue.ID) async throws {
        try await database.execute(
            """
            INSERT INTO refund_policies (venue_id, tiers) VALUES (\(venue.rawValue), \(try JSONText.encode(policy.tiers)))
            ON CONFLICT (venue_id) DO UPDATE SET tiers = excluded.tiers
            """)
    }

    public func refund(forBooking booking: Booking.ID) async throws -> RefundRecord? {
        try await database.withConnection { connection in
            try await PostgresSeatLedger.refundRecord(forBooking: booking, connection, logger: logger)
        }
    }

    /// Claims pending refunds for this instance's worker, leased like outbox events.
    public func pendingRefunds(at now: Date, limit: Int) async throws -> [RefundRecord] {
        try await database.rows(
            """
            WITH claimed AS (
                SELECT id FROM refunds WHERE status = 'pending' AND next_attempt_at <= \(now.storedValue)
                ORDER BY created_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            UPDATE refunds r SET next_attempt_at = \(now.storedValue + workerLease)
            FROM claimed WHERE r.id = claimed.id
            RETURNING r.id, r.booking_id, r.payment_id, r.amount, r.currency, r.created_at
            """, as: (String, String, String, Int64, String, Double).self, logger: logger
        ).sorted { $0.5 < $1.5 }.map {
            RefundRecord(
                id: $0.0, bookingId: Booking.ID($0.1), paymentId: PaymentAuthorization.ID($0.2),
                amount: Money(amount: $0.3, currency: $0.4), status: .pending)
        }
    }

    public func refundSucceeded(_ id: String, at date: Date) async throws {
        try await database.transaction { connection in
            guard
                let booking = try await connection.rows(
                    """
                    UPDATE refunds SET status = 'succeeded', updated_at = \(date.storedValue)
                    WHERE id = \(id) AND status = 'pending' RETURNING booking_id
                    """, as: String.self, logger: logger
                ).first
            else { return }
            try await connection.run(
                """
                UPDATE payments SET status = 'refunded', updated_at = \(date.storedValue)
                WHERE id = (SELECT payment_id FROM refunds WHERE id = \(id))
                """, logger: logger)
            try await connection.run(
                """
                INSERT INTO outbox (event, payload, created_at)
                VALUES ('refund_succeeded', \(try JSONText.encode(["refund_id": id, "booking_id": booking])), \(date.storedValue))
                """, logger: logger)
        }
    }

    public func refundFailed(_ id: String, error: String, at date: Date) async throws {
        try await database.execute(
            """
            UPDATE refunds SET attempts = attempts + 1, last_error = \(error), updated_at = \(date.storedValue),
              next_attempt_at = \(date.storedValue)
            WHERE id = \(id)
            """)
    }

    public func updatePayment(_ id: PaymentAuthorization.ID, status: PaymentAuthorization.Status, at: Date) async throws
    {
        try await database.execute(
            "UPDATE payments SET status = \(status.rawValue), updated_at = \(at.storedValue) WHERE id = \(id.rawValue)")
    }
}
