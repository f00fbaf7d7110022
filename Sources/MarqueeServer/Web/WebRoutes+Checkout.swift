import Foundation
import Hummingbird
import MarqueeCore
import MarqueeStore

extension WebRoutes {
    /// The hold's seats, a countdown to its expiry and the card form.
    @Sendable func checkout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = await session(request)
        guard let userId = session.userId else { return signInFirst(request) }
        let index = catalog.snapshot.index
        guard let hold = try await inventory.hold(Hold.ID(context.pathID("hold_id"))), hold.userId.rawValue == userId,
            let show = index.showsById[hold.showId], let movie = index.moviesById[show.movieId],
            let venue = index.venuesById[show.venueId]
        else { return notFound("hold", session: session) }
        if let booking = try await bookings.booking(forHold: hold.id) {
            return redirect("/bookings/\(booking.id.rawValue)")
        }
        let now = clock.now
        let live = hold.status(at: now) == .active
        let values: [String: Any] = [
            "hold": [
                "id": hold.id.rawValue, "expiresAt": ISO8601DateFormatter().string(from: hold.expiresAt),
                "secondsLeft": max(0, Int(hold.expiresAt.timeIntervalSince(now))),
                "total": PageFormat.money(hold.total), "live": live,
                "seats": hold.seats.map {
                    [
                        "id": $0.id.rawValue, "category": $0.category.rawValue.capitalized,
                        "price": PageFormat.money($0.price),
                    ]
                },
            ] as [String: Any],
            "show": [
                "id": show.id.rawValue, "date": PageFormat.day(show.startsAt, zone: show.timeZone),
                "time": PageFormat.time(show.startsAt, zone: show.timeZone),
            ],
            "movie": ["title": movie.title],
            "venue": ["name": venue.name],
            "testCards": SandboxPaymentGateway.testCards.map { card in
                [
                    "number": stride(from: 0, to: card.number.count, by: 4).map { i in
                        String(card.number.dropFirst(i).prefix(4))
                    }.joined(separator: " "), "outcome": card.outcome,
                ]
            },
        ]
        return pages.render("checkout", title: "Checkout · \(movie.title)", values, session: session)
    }
}
