import Foundation
import Hummingbird
import MarqueeCore
import MarqueeStore

/// Browse and search: cities, movies, showtimes, venues and shows.
struct CatalogRoutes {
    let catalog: CatalogService
    let inventory: SeatInventory
    let clock: any TimeSource

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("cities") { _, _ in
            try APIJSON.response(["cities": catalog.snapshot.index.cities])
        }
        group.get("movies", use: movies)
        group.get("movies/:movie_id") { _, context in
            let movie = try movie(context)
            return try APIJSON.response(movie)
        }
        group.get("movies/:movie_id/showtimes", use: showtimes)
        group.get("venues", use: venues)
        group.get("shows/:show_id", use: show)
    }

    func movie(_ context: AppRequestContext) throws -> Movie {
        let id = context.pathID("movie_id")
        guard let movie = catalog.snapshot.index.moviesById[Movie.ID(id)] else {
            throw BookingError.notFound("movie", id)
        }
        return movie
    }

    func city(_ request: Request) throws -> City? {
        guard let id = request.query("city") else { return nil }
        guard let city = catalog.snapshot.index.citiesById[City.ID(id.lowercased())] else {
            throw Problem(
                .badRequest, code: "unknown_city", detail: "no city '\(id)'; see /api/v1/cities",
                extensions: ["field": .string("city")])
        }
        return city
    }

    /// The day asked for, in the city's zone (UTC when no city is given).
    func day(_ request: Request, city: City?) throws -> DateInterval? {
        guard let date = request.query("date") else { return nil }
        guard let day = CatalogIndex.day(date, in: city?.timeZone ?? "UTC") else {
            throw Problem(
                .badRequest, code: "invalid_field",
                detail: "date must be a calendar day as YYYY-MM-DD, between 1970 and 2100",
                extensions: ["field": .string("date")])
        }
        return day
    }

    @Sendable func movies(_ request: Request, context: AppRequestContext) async throws -> Response {
        let city = try city(request)
        var matcher: TitleMatcher?
        if let query = request.query("q") {
            guard query.count <= 100 else {
                throw Problem(
                    .badRequest, code: "invalid_field", detail: "q is limited to 100 characters",
                    extensions: ["field": .string("q")])
            }
            guard let parsed = TitleMatcher(query: query) else {
                throw Problem(
                    .badRequest, code: "invalid_field", detail: "q needs at least one letter or digit",
                    extensions: ["field": .string("q")])
            }
            matcher = parsed
        }
        let index = catalog.snapshot.index
        // With a city but no day: what plays there from now on.
        let during =
            try day(request, city: city) ?? (city != nil ? DateInterval(start: clock.now, duration: 8 * 86400) : nil)
        let movies = index.movies(
            city: city?.id, during: during, genre: request.query("genre"), language: request.query("language"),
            query: matcher)
        return try APIJSON.response(["movies": movies])
    }

    @Sendable func showtimes(_ request: Request, context: AppRequestContext) async throws -> Response {
        let movie = try movie(context)
        let city = try city(request)
        let snapshot = catalog.snapshot
        var venueId: Venue.ID?
        if let id = request.query("venue_id") {
            guard snapshot.index.venuesById[Venue.ID(id)] != nil else {
                throw Problem(
                    .badRequest, code: "unknown_venue", detail: "no venue '\(id)'",
                    extensions: ["field": .string("venue_id")])
            }
            venueId = Venue.ID(id)
        }
        let now = clock.now
        let during = try day(request, city: city) ?? DateInterval(start: now, duration: 8 * 86400)
        // Shows that have started can no longer be booked, so they are not offered.
        let shows = snapshot.index.shows(of: movie.id, city: city?.id, venue: venueId, during: during)
            .filter { $0.startsAt > now }
        let counts = try await inventory.ledger.availableCounts(shows.map(\.id), now: now)
        let grouped = Dictionary(grouping: shows, by: \.venueId)
        let venues = grouped.keys.compactMap { snapshot.index.venuesById[$0] }.sorted {
            $0.name.lowercased() < $1.name.lowercased()
        }
        struct VenueShows: Encodable {
            let venue: VenueBody
            let shows: [ShowSummaryBody]
        }
        let body = venues.map { venue in
            VenueShows(
                venue: VenueBody(venue),
                shows: grouped[venue.id]!.compactMap { show in
                    snapshot.index.screensById[show.screenId].map {
                        ShowSummaryBody(show, screen: $0, availableSeats: counts[show.id] ?? 0)
                    }
                })
        }
        return try APIJSON.response(["venues": body])
    }

    @Sendable func venues(_ request: Request, context: AppRequestContext) async throws -> Response {
        let city = try city(request)
        var near: Coordinate?
        if let text = request.query("near") {
            guard let coordinate = Coordinate(parsing: text) else {
                throw Problem(
                    .badRequest, code: "invalid_field", detail: "near must be LAT,LNG in degrees, e.g. 19.07,72.87",
                    extensions: ["field": .string("near")])
            }
            near = coordinate
        }
        var radius: Double?
        if let text = request.query("radius_km") {
            guard let value = Double(text), value > 0, value <= 20_000 else {
                throw Problem(
                    .badRequest, code: "invalid_field",
                    detail: "radius_km must be a number of kilometres, above 0 and at most 20000",
                    extensions: ["field": .string("radius_km")])
            }
            guard near != nil else {
                throw Problem(
                    .badRequest, code: "invalid_field", detail: "radius_km needs near=LAT,LNG to measure from",
                    extensions: ["field": .string("radius_km")])
            }
            radius = value
        }
        let venues = catalog.snapshot.index.venues(city: city?.id, near: near, radiusKm: radius)
        return try APIJSON.response(["venues": venues.map { VenueBody($0.0, distanceKm: $0.1) }])
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let snapshot = catalog.snapshot
        let id = context.pathID("show_id")
        guard let show = snapshot.index.showsById[Show.ID(id)],
            let movie = snapshot.index.moviesById[show.movieId],
            let venue = snapshot.index.venuesById[show.venueId],
            let screen = snapshot.index.screensById[show.screenId]
        else { throw BookingError.notFound("show", id) }
        let now = clock.now
        // A show that has started takes no holds, so none of its seats can be had.
        let available =
            show.startsAt <= now ? 0 : try await inventory.ledger.availableCounts([show.id], now: now)[show.id]
        let categories = screen.layout.categories.map { category in
            CategoryBody(
                id: category.id.rawValue, name: category.name, price: show.prices[category.id],
                seatCount: screen.layout.seats.filter { $0.category == category.id }.count)
        }
        return try APIJSON.response(
            ShowDetailBody(
                id: show.id.rawValue, startsAt: show.startsAt, endsAt: show.endsAt,
                localStartsAt: LocalTime.format(show.startsAt, timeZone: show.timeZone), timeZone: show.timeZone,
                movie: movie, venue: VenueBody(venue), screen: ScreenBody(screen), categories: categories,
                availableSeats: available ?? 0, priceFrom: show.priceFrom))
    }
}
