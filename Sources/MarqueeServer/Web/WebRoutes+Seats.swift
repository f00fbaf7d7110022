import Foundation
import Hummingbird
import MarqueeCore
import MarqueeStore

extension WebRoutes {
    /// Size of one grid cell of a seat map, in SVG units.
    static let cell = 30

    /// The seat map, drawn to scale on the server; the page's script makes the seats
    /// selectable and keeps their status live.
    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = await session(request)
        let index = catalog.snapshot.index
        guard let show = index.showsById[Show.ID(context.pathID("show_id"))],
            let movie = index.moviesById[show.movieId], let venue = index.venuesById[show.venueId],
            let screen = index.screensById[show.screenId], let seats = try await inventory.seats(of: show.id)
        else { return notFound("show", session: session) }
        let now = clock.now
        let layout = screen.layout
        let ranked = layout.categories.sorted { $0.rank < $1.rank }
        let shapeOf = Dictionary(
            uniqueKeysWithValues: ranked.enumerated().map { offset, category in
                (category.id, ["square", "round", "sofa", "diamond"][offset % 4])
            })
        let nameOf = Dictionary(uniqueKeysWithValues: layout.categories.map { ($0.id, $0.name) })
        let cell = Self.cell
        let top = 70
        let left = 40
        let width = layout.width * cell + left * 2
        let height = layout.height * cell + top + 20
        var rows: [String: Int] = [:]
        for seat in layout.seats { rows[seat.row] = min(rows[seat.row] ?? Int.max, seat.x) }
        let rowLabels = Dictionary(grouping: layout.seats, by: \.row).map { row, seats in
            ["row": row, "y": top + seats[0].y * cell + cell / 2 + 4, "xLeft": left - 18, "xRight": width - left + 18]
        }
        let seatItems: [[String: Any]] = layout.seats.map { seat in
            let status = seats.seats[seat.id]?.visibleStatus(at: now) ?? .blocked
            let price = show.prices[seat.category]
            let category = nameOf[seat.category] ?? seat.category.rawValue
            var label = "Row \(seat.row), seat \(seat.number), \(category)"
            if let price { label += ", \(PageFormat.spokenMoney(price))" }
            if seat.accessible { label += ", wheelchair accessible" }
            return [
                "id": seat.id.rawValue, "status": status.rawValue, "label": label,
                "statusText": status.rawValue,
                "x": left + seat.x * cell, "y": top + seat.y * cell, "cx": left + seat.x * cell + cell / 2,
                "cy": top + seat.y * cell + cell / 2, "shape": shapeOf[seat.category] ?? "square",
                "isSquare": shapeOf[seat.category] == "square", "isRound": shapeOf[seat.category] == "round",
                "isSofa": shapeOf[seat.category] == "sofa", "isDiamond": shapeOf[seat.category] == "diamond",
                "category": seat.category.rawValue, "categoryName": category, "accessible": seat.accessible,
                "price": price?.amount ?? 0, "priceText": price.map(PageFormat.money) ?? "",
                "row": seat.row, "number": seat.number, "gx": seat.x, "gy": seat.y,
            ]
        }
        let available = seatItems.filter { ($0["status"] as? String) == "available" }.count
        let values: [String: Any] = [
            "show": [
                "id": show.id.rawValue, "version": seats.version,
                "date": PageFormat.day(show.startsAt, zone: show.timeZone),
                "time": PageFormat.time(show.startsAt, zone: show.timeZone),
                "zone": show.timeZone, "currency": show.priceFrom?.currency ?? "",
                "maxSeats": inventory.policy.maxSeatsPerHold,
            ] as [String: Any],
            "movie": [
                "id": movie.id.rawValue, "title": movie.title, "certification": movie.certification,
                "language": movie.language,
            ],
            "venue": ["name": venue.name, "address": venue.address],
            "screen": screen.name,
            "available": available,
            "legend": ranked.reversed().map { category -> [String: Any] in
                let shape = shapeOf[category.id] ?? "square"
                return [
                    "name": category.name, "price": show.prices[category.id].map(PageFormat.money) ?? "",
                    "isSquare": shape == "square", "isRound": shape == "round", "isSofa": shape == "sofa",
                    "isDiamond": shape == "diamond",
                ]
            },
            "svg": [
                "width": width, "height": height, "screenLeft": left, "screenRight": width - left,
                "screenMid": width / 2, "screenCurve": 40,
            ],
            "rows": rowLabels.sorted { ($0["y"] as! Int) < ($1["y"] as! Int) },
            "seats": seatItems,
        ]
        return pages.render(
            "show", title: "\(movie.title) · \(PageFormat.time(show.startsAt, zone: show.timeZone)) · \(venue.name)",
            values, session: session)
    }
}
