import Foundation
import Hummingbird
import MarqueeCore
import MarqueeStore

/// Checkout and the buyer's bookings, with their signed tickets.
struct BookingRoutes {
    let checkout: Checkout
    let bookings: any BookingStore
    let idempotency: Idempotency
    let signer: TicketSigner
    let catalog: CatalogService

    struct BookingRequest: Decodable {
        struct Payment: Decodable { let token: String }
        let holdId: String
        let payment: Payment
    }

    struct BookingBody: Encodable {
        struct TicketBody: Encodable {
            let id: String
            let seatId: String
            let status: String
            let code: String
            let qrSvgUrl: String
        }

        let bookingId: String
        let reference: String
        let status: String
        let showId: String
        let holdId: String
        let seats: [Hold.Line]
        let total: Money
        let createdAt: Date
        let tickets: [TicketBody]

        init(_ booking: Booking) {
            bookingId = booking.id.rawValue
            reference = booking.reference
            status = booking.status.rawValue
            showId = booking.showId.rawValue
            holdId = booking.holdId.rawValue
            seats = booking.seats
            total = booking.total
            createdAt = booking.createdAt
            tickets = booking.tickets.map {
                TicketBody(
                    id: $0.id.rawValue, seatId: $0.seatId.rawValue, status: $0.status.rawValue, code: $0.code,
                    qrSvgUrl: "/api/v1/bookings/\(booking.id)/tickets/\($0.id)/qr.svg")
            }
        }
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("bookings", use: create)
        group.get("bookings", use: list)
        group.get("bookings/:booking_id", use: get)
        group.post("bookings/:booking_id/cancel", use: cancel)
        group.get("bookings/:booking_id/tickets/:ticket_id/qr.svg", use: qr)
        group.get("tickets/public-key") { _, _ in
            try APIJSON.response(["algorithm": "Ed25519", "public_key": signer.publicKey, "encoding": "base64url"])
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.requireUser()
        // Charging without a key would make every retry a new charge.
        guard request.headers[.idempotencyKey] != nil else {
            throw Problem(
                .badRequest, code: "idempotency_key_required",
                detail: "send an Idempotency-Key header with every checkout",
                extensions: ["field": .string("Idempotency-Key")])
        }
        return try await idempotency.run(request, context: context, user: user) { buffer in
            let body = try APIJSON.decode(BookingRequest.self, from: buffer)
            guard !body.holdId.isEmpty else { throw BookingError.invalidField("hold_id", "must not be empty") }
            guard !body.payment.token.isEmpty else {
                throw BookingError.invalidField("payment.token", "must not be empty")
            }
            let booking = try await checkout.book(
                hold: Hold.ID(body.holdId), paymentToken: body.payment.token, user: user,
                key: request.headers[.idempotencyKey]!)
            return try APIJSON.reply(
                BookingBody(booking), status: .created, headers: [.location: "/api/v1/bookings/\(booking.id)"])
        }.response
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let limit = try Self.integer(request, "limit", default: 20, in: 1...100)
        let offset = try Self.integer(request, "offset", default: 0, in: 0...1_000_000)
        let page = try await bookings.bookings(of: user, limit: limit + 1, offset: offset)
        struct Page: Encodable {
            let bookings: [BookingBody]
            let nextOffset: Int?
        }
        return try APIJSON.response(
            Page(
                bookings: page.prefix(limit).map(BookingBody.init),
                nextOffset: page.count > limit ? offset + limit : nil))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let id = context.pathID("booking_id")
        guard let booking = try await bookings.booking(Booking.ID(id)), booking.userId == user else {
            throw BookingError.notFound("booking", id)
        }
        return try APIJSON.response(BookingBody(booking))
    }

    struct CancellationBody: Encodable {
        struct RefundBody: Encodable {
            let amount: Money
            let status: String
        }
        let bookingId: String
        let status = "cancelled"
        let refund: RefundBody
    }

    @Sendable func cancel(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let id = Booking.ID(context.pathID("booking_id"))
        return try await idempotency.run(request, context: context, user: user) { _ in
            guard let booking = try await bookings.booking(id), booking.userId == user else {
                throw BookingError.notFound("booking", id.rawValue)
            }
            let record: RefundRecord
            if booking.status == .cancelled, let first = try await bookings.refund(forBooking: id) {
                record = first  // Cancelling twice answers the first result.
            } else {
                let show = catalog.snapshot.index.showsById[booking.showId]
                var policy = RefundPolicy.standard
                if let show, let own = try await bookings.refundPolicy(venue: show.venueId) { policy = own }
                guard let show,
                    let amount = policy.refund(
                        for: booking.total, showStartsAt: show.startsAt, at: checkout.clock.now)
                else {
                    throw Problem(
                        .conflict, code: "cancellation_window_closed",
                        detail: "this booking can no longer be cancelled so close to the show")
                }
                record = try await checkout.inventory.cancel(id, by: user, refund: amount)
            }
            return try APIJSON.reply(
                CancellationBody(
                    bookingId: id.rawValue, refund: .init(amount: record.amount, status: record.status.rawValue)))
        }.response
    }

    /// The ticket's code as a QR code a door scanner reads.
    @Sendable func qr(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let id = context.pathID("booking_id")
        let ticketId = context.pathID("ticket_id")
        guard let booking = try await bookings.booking(Booking.ID(id)), booking.userId == user,
            let ticket = booking.tickets.first(where: { $0.id.rawValue == ticketId })
        else { throw BookingError.notFound("ticket", ticketId) }
        let svg = try QRCode(bytes: Array(ticket.code.utf8)).svg()
        return Response(
            status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "private, max-age=86400"],
            body: .init(byteBuffer: ByteBuffer(string: svg)))
    }

    static func integer(_ request: Request, _ name: String, default value: Int, in range: ClosedRange<Int>) throws
        -> Int
    {
        guard let text = request.query(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw Problem(
                .badRequest, code: "invalid_field",
                detail: "\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)",
                extensions: ["field": .string(name)])
        }
        return number
    }
}

/// The sandbox provider's own endpoint: card details in, a token out, as a
/// hosted payment form would do. Card numbers never reach the booking API.
struct SandboxPaymentRoutes {
    let sandbox: SandboxPaymentGateway

    struct CardRequest: Decodable {
        let cardNumber: String
        let expMonth: Int
        let expYear: Int
        let cvc: String
    }

    func register(on router: Router<AppRequestContext>) {
        router.post("sandbox/psp/tokens") { request, context in
            let card = try await APIJSON.decode(CardRequest.self, from: request, context: context)
            let token: String
            do {
                token = try sandbox.tokenize(
                    cardNumber: card.cardNumber, expiryMonth: card.expMonth, expiryYear: card.expYear, cvc: card.cvc)
            } catch let error as PaymentError {
                guard case .rejected(let reason) = error else { throw error }
                let field = String(reason.prefix { $0 != ":" })
                throw Problem(.badRequest, code: "invalid_card", detail: reason, extensions: ["field": .string(field)])
            }
            return try APIJSON.response(["token": token], status: .created)
        }
    }
}
