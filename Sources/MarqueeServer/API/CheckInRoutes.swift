import Foundation
import Hummingbird
import MarqueeCore
import MarqueeStore

/// The door: venue staff scan a ticket code and learn whether to let the holder in.
struct CheckInRoutes {
    let bookings: any BookingStore
    let accounts: any AccountStore
    let verifier: TicketVerifier
    let clock: any TimeSource

    struct CheckInRequest: Decodable { let code: String }

    struct AdmittedBody: Encodable {
        let status = "admitted"
        let ticketId: String
        let bookingId: String
        let showId: String
        let seatId: String
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("checkin", use: checkIn)
    }

    @Sendable func checkIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.requireUser()
        guard let staff = try await accounts.user(user), staff.role == "staff" else {
            throw Problem(.forbidden, code: "staff_only", detail: "only venue staff can check tickets in")
        }
        let body = try await APIJSON.decode(CheckInRequest.self, from: request, context: context)
        guard let claims = verifier.verify(body.code.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Problem(
                .badRequest, code: "invalid_ticket", detail: "the code is not a genuine Marquee ticket",
                extensions: ["field": .string("code")])
        }
        switch try await bookings.checkIn(claims.ticketId, at: clock.now) {
        case .admitted(let ticket):
            return try APIJSON.response(
                AdmittedBody(
                    ticketId: ticket.id.rawValue, bookingId: ticket.bookingId.rawValue, showId: ticket.showId.rawValue,
                    seatId: ticket.seatId.rawValue))
        case .alreadyUsed(let ticket, let date):
            throw Problem(
                .conflict, code: "already_used", detail: "ticket for seat \(ticket.seatId) was already scanned",
                extensions: [
                    "first_used_at": .string(Date.ISO8601FormatStyle(timeZone: .gmt).format(date)),
                    "seat_id": .string(ticket.seatId.rawValue),
                ])
        case .cancelled(let ticket):
            throw Problem(
                .conflict, code: "ticket_cancelled", detail: "the booking for seat \(ticket.seatId) was cancelled",
                extensions: ["seat_id": .string(ticket.seatId.rawValue)])
        case .unknown:
            throw Problem(
                .badRequest, code: "invalid_ticket", detail: "no such ticket", extensions: ["field": .string("code")])
        }
    }
}
