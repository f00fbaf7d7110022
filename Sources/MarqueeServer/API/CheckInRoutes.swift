import Foundation
import Hummingbird
import MarqueeCore
import MarqueeStore

/// The door: venue staff scan a ticket code and learn whether to let the holder in.
struct CheckInRoutes {
    let bookings: any BookingStore
    let accounts: any AccountStore
    let verifier: TicketVerifier
    let catalog: CatalogService
    let clock: any TimeSource

    /// Doors open this long before a show's start; a ticket scanned earlier is for another day or hour.
    static let doorsOpen: TimeInterval = 3 * 3600
    /// After this long past its start a show is over; its tickets admit nobody.
    static let showOver: TimeInterval = 12 * 3600

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
        // Checked before the ticket is marked used: a ticket scanned on the wrong day stays good for its own.
        let now = clock.now
        // The catalog holds every show from a day before this instance started on; a
        // ticket for one it does not hold is for a show long over.
        guard let show = catalog.snapshot.index.showsById[claims.showId] else {
            throw Problem(
                .conflict, code: "show_over", detail: "this ticket was for show \(claims.showId), which is long over",
                extensions: ["show_id": .string(claims.showId.rawValue)])
        }
        let starts = Date.ISO8601FormatStyle(timeZone: .gmt).format(show.startsAt)
        if now < show.startsAt.addingTimeInterval(-Self.doorsOpen) {
            throw Problem(
                .conflict, code: "too_early",
                detail: "this ticket is for show \(show.id), which starts at \(starts); doors open 3 hours before",
                extensions: ["starts_at": .string(starts), "show_id": .string(show.id.rawValue)])
        }
        if now > show.startsAt.addingTimeInterval(Self.showOver) {
            throw Problem(
                .conflict, code: "show_over",
                detail: "this ticket was for show \(show.id), which started at \(starts)",
                extensions: ["starts_at": .string(starts), "show_id": .string(show.id.rawValue)])
        }
        switch try await bookings.checkIn(claims.ticketId, at: now) {
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
