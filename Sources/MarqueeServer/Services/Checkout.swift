import Foundation
import Logging
import MarqueeCore
import MarqueeStore

/// Turns a live hold into a paid booking: authorize, confirm the seats with the
/// booking, tickets and payment record in one transaction, then capture. If the
/// seats cannot be confirmed the authorization is voided, so no money is taken
/// without a booking.
struct Checkout: Sendable {
    let inventory: SeatInventory
    let bookings: any BookingStore
    let attempts: any PaymentAttemptStore
    let gateway: any PaymentGateway
    let signer: TicketSigner
    let ids: any IdentifierSource
    let clock: any TimeSource
    let logger: Logger

    func book(hold holdId: Hold.ID, paymentToken: String, user: User.ID, key: String) async throws -> Booking {
        guard let hold = try await inventory.hold(holdId), hold.userId == user else {
            throw BookingError.notFound("hold", holdId.rawValue)
        }
        switch hold.status(at: clock.now) {
        case .active: break
        case .expired: throw BookingError.holdExpired(holdId)
        case .released, .confirmed: throw BookingError.holdNotActive(holdId, hold.status(at: clock.now))
        }
        // Keys for the provider derive from the buyer's key, so a retried checkout
        // repeats the same provider calls instead of charging again.
        let providerKey = "\(user.rawValue):\(key)"
        // Recorded first: if we die after the provider answers, the reconciler settles it.
        try await attempts.open(
            PaymentAttempt(
                providerKey: providerKey, userId: user, holdId: holdId, amount: hold.total, createdAt: clock.now))
        let payment = try await authorize(hold.total, token: paymentToken, key: "authorize:\(providerKey)")

        let booking: Booking
        do {
            booking = try await inventory.confirm(try BookingDraft(draft(for: hold), payment: payment))
        } catch {
            // The seats are not ours (expired, lost, released): give the money back.
            do {
                try await gateway.void(payment.id, idempotencyKey: "void:\(providerKey)")
                try await attempts.settle(providerKey)
            } catch {
                logger.error(
                    "void after failed checkout failed", metadata: ["payment": "\(payment.id)", "error": "\(error)"])
            }
            throw error
        }
        do {
            try await gateway.capture(payment.id, idempotencyKey: "capture:\(providerKey)")
            try await bookings.updatePayment(payment.id, status: .captured, at: clock.now)
            try await attempts.settle(providerKey)
        } catch {
            // The booking stands; the payment stays authorized and is captured later.
            logger.error("capture failed", metadata: ["payment": "\(payment.id)", "error": "\(error)"])
        }
        return booking
    }

    private func authorize(_ amount: Money, token: String, key: String) async throws -> PaymentAuthorization {
        do {
            return try await gateway.authorize(amount: amount, token: token, idempotencyKey: key)
        } catch .timedOut {
            // No answer: ask what happened to this call rather than guess.
            let status = try? await gateway.status(ofCallWithKey: key)
            if let status, status.status == .authorized { return status }
            throw Problem(
                .gatewayTimeout, code: "payment_timeout",
                detail: "the payment provider did not answer; nothing was charged, try again")
        } catch .declined(let reason) {
            throw Problem(
                .init(code: 402, reasonPhrase: "Payment Required"), code: "payment_declined",
                detail: "the card was declined (\(reason)); your seats are still held, try another card",
                extensions: ["decline_reason": .string(reason)])
        } catch .invalidToken(let reason) {
            throw Problem(
                .badRequest, code: "invalid_payment_token", detail: reason,
                extensions: ["field": .string("payment.token")])
        } catch .rejected(let reason) {
            throw Problem(.badGateway, code: "payment_error", detail: "the payment provider refused: \(reason)")
        }
    }

    private func draft(for hold: Hold) throws -> Booking {
        let bookingId = Booking.ID(ids.make(prefix: "bkg"))
        let tickets = try hold.seats.map { line in
            let ticketId = Ticket.ID(ids.make(prefix: "tkt"))
            let claims = TicketClaims(ticketId: ticketId, bookingId: bookingId, showId: hold.showId, seatId: line.id)
            return Ticket(
                id: ticketId, bookingId: bookingId, showId: hold.showId, seatId: line.id,
                code: try signer.code(for: claims),
                status: .valid)
        }
        return Booking(
            id: bookingId, reference: Self.reference(from: bookingId), userId: hold.userId, showId: hold.showId,
            holdId: hold.id, seats: hold.seats, total: hold.total, status: .confirmed, createdAt: clock.now,
            tickets: tickets)
    }

    /// Eight characters a person can read out: from the booking id, without 0/O/1/I.
    static func reference(from id: Booking.ID) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.rawValue.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String((0..<8).map { index in alphabet[Int((hash >> (index * 5)) & 31)] })
    }
}
