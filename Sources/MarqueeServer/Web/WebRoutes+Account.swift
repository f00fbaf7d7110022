import Foundation
import Hummingbird
import MarqueeCore
import MarqueeStore

extension WebRoutes {
    struct LoginForm: Decodable {
        let email: String
        let password: String
        let csrf: String?
        let next: String?
    }

    struct RegisterForm: Decodable {
        let name: String
        let email: String
        let password: String
        let csrf: String?
        let next: String?
    }

    /// Only our own paths are followed after signing in, never another site.
    static func safeNext(_ next: String?) -> String {
        // Browsers drop tabs and newlines inside URLs and read "\\" as "/", so "/\t/evil.example"
        // would become "//evil.example": allow only printable characters and no backslash.
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), next.count <= 2000,
            next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0 != "\\" })
        else { return "/" }
        return next
    }

    @Sendable func loginPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = await session(request)
        return pages.render(
            "login", title: "Sign in", ["next": Self.safeNext(request.query("next"))], session: session)
    }

    @Sendable func registerPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = await session(request)
        return pages.render(
            "register", title: "Create an account", ["next": Self.safeNext(request.query("next"))], session: session)
    }

    func form<Form: Decodable>(_ type: Form.Type, _ request: Request, context: AppRequestContext) async throws -> Form?
    {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        return try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
    }

    func csrfRefused(_ session: WebContext) -> Response {
        pages.render(
            "message", title: "Form expired",
            [
                "heading": "This form has expired", "text": "Please reload the page and try again.", "link": "/",
                "linkText": "Back to what's on",
            ],
            session: session, status: .forbidden)
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = await session(request)
        guard let form = try await form(LoginForm.self, request, context: context) else {
            return pages.render(
                "login", title: "Sign in", ["error": "Enter your e-mail and password.", "next": "/"], session: session,
                status: .badRequest)
        }
        guard WebSession.csrfMatches(form.csrf, cookie: session.cookies[WebSession.csrfCookie]) else {
            return csrfRefused(session)
        }
        let email = form.email.trimmingCharacters(in: .whitespaces).lowercased()
        guard email.count <= 254, form.password.utf8.count <= 72,
            let (user, hash) = try await accounts.credentials(email: email),
            try await AuthRoutes.verify(form.password, hash: hash)
        else {
            return pages.render(
                "login", title: "Sign in",
                [
                    "error": "That e-mail and password do not match an account.", "email": form.email,
                    "next": Self.safeNext(form.next),
                ],
                session: session, status: .unauthorized)
        }
        return try await signedIn(user.id, next: form.next)
    }

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = await session(request)
        guard let form = try await form(RegisterForm.self, request, context: context) else {
            return pages.render(
                "register", title: "Create an account",
                ["error": "Fill in your name, e-mail and password.", "next": "/"],
                session: session, status: .badRequest)
        }
        guard WebSession.csrfMatches(form.csrf, cookie: session.cookies[WebSession.csrfCookie]) else {
            return csrfRefused(session)
        }
        let email = form.email.trimmingCharacters(in: .whitespaces).lowercased()
        let name = form.name.trimmingCharacters(in: .whitespacesAndNewlines)
        func again(_ error: String, status: HTTPResponse.Status) -> Response {
            pages.render(
                "register", title: "Create an account",
                ["error": error, "name": form.name, "email": form.email, "next": Self.safeNext(form.next)],
                session: session, status: status)
        }
        do {
            try AuthRoutes.validate(email: email, password: form.password, name: name)
        } catch BookingError.invalidField(let field, let reason) {
            return again("\(field.capitalized): \(reason).", status: .badRequest)
        }
        let user = User(id: User.ID(ids.make(prefix: "usr")), email: email, name: name, createdAt: clock.now)
        do {
            try await accounts.createUser(
                user, passwordHash: try await AuthRoutes.hash(form.password, cost: bcryptCost))
        } catch BookingError.emailTaken {
            return again("An account with this e-mail exists already. Sign in instead?", status: .conflict)
        }
        return try await signedIn(user.id, next: form.next)
    }

    func signedIn(_ user: User.ID, next: String?) async throws -> Response {
        let token = try await tokens.token(for: user)
        return redirect(
            Self.safeNext(next),
            cookies: [cookie(WebSession.sessionCookie, token, maxAge: Int(tokenLifetime))])
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = await session(request)
        let form = try await form([String: String].self, request, context: context)
        guard WebSession.csrfMatches(form?["csrf"], cookie: session.cookies[WebSession.csrfCookie]) else {
            return csrfRefused(session)
        }
        return redirect("/", cookies: [cookie(WebSession.sessionCookie, "", maxAge: 0)])
    }

    // MARK: Bookings

    @Sendable func bookingList(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = await session(request)
        guard let userId = session.userId else { return signInFirst(request) }
        let list = try await bookings.bookings(of: User.ID(userId), limit: 50, offset: 0)
        let now = clock.now
        let values: [String: Any] = [
            "bookings": list.map { booking -> [String: Any] in
                var item = summary(booking)
                item["upcoming"] = (catalog.snapshot.index.showsById[booking.showId]?.startsAt ?? now) > now
                return item
            },
            "none": list.isEmpty,
        ]
        return pages.render("bookings", title: "My bookings", values, session: session)
    }

    func summary(_ booking: Booking) -> [String: Any] {
        let index = catalog.snapshot.index
        let show = index.showsById[booking.showId]
        return [
            "id": booking.id.rawValue, "reference": booking.reference, "status": booking.status.rawValue,
            "cancelled": booking.status == .cancelled,
            "movieTitle": show.flatMap { index.moviesById[$0.movieId]?.title } ?? "",
            "venue": show.flatMap { index.venuesById[$0.venueId]?.name } ?? "",
            "when": show.map { PageFormat.dateTime($0.startsAt, zone: $0.timeZone) } ?? "",
            "seats": booking.seats.map(\.id.rawValue).joined(separator: ", "),
            "seatCount": booking.seats.count, "total": PageFormat.money(booking.total),
        ]
    }

    @Sendable func booking(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = await session(request)
        guard let userId = session.userId else { return signInFirst(request) }
        guard let booking = try await bookings.booking(Booking.ID(context.pathID("booking_id"))),
            booking.userId.rawValue == userId
        else { return notFound("booking", session: session) }
        let index = catalog.snapshot.index
        var values = summary(booking)
        if let show = index.showsById[booking.showId] {
            var policy = RefundPolicy.standard
            if let own = try await bookings.refundPolicy(venue: show.venueId) { policy = own }
            let refund = policy.refund(for: booking.total, showStartsAt: show.startsAt, at: clock.now)
            values["cancellable"] = booking.status == .confirmed && refund != nil
            values["refund"] = refund.map(PageFormat.money) ?? ""
            values["refundAll"] = refund == booking.total
            values["zone"] = show.timeZone
            values["address"] = index.venuesById[show.venueId]?.address ?? ""
        }
        if booking.status == .cancelled, let refund = try await bookings.refund(forBooking: booking.id) {
            values["refunded"] = ["amount": PageFormat.money(refund.amount), "status": refund.status.rawValue]
        }
        values["tickets"] = booking.tickets.map { ticket -> [String: Any] in
            let line = booking.seats.first { $0.id == ticket.seatId }
            return [
                "id": ticket.id.rawValue, "seat": ticket.seatId.rawValue,
                "category": line?.category.rawValue.capitalized ?? "", "status": ticket.status.rawValue,
                "qr": "/api/v1/bookings/\(booking.id.rawValue)/tickets/\(ticket.id.rawValue)/qr.svg",
            ]
        }
        values["justBooked"] = request.query("new") != nil
        return pages.render("booking", title: "Booking \(booking.reference)", values, session: session)
    }
}
