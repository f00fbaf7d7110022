import Foundation
import HTTPTypes
import Hummingbird
import MarqueeCore
import MarqueeStore

/// The pages moviegoers use: browse, pick seats on a live map, pay, see tickets.
/// Server-rendered from templates; small scripts add live seats, the seat
/// picker, search as you type and the checkout countdown.
struct WebRoutes {
    let pages: Pages
    let catalog: CatalogService
    let inventory: SeatInventory
    let bookings: any BookingStore
    let accounts: any AccountStore
    let tokens: TokenIssuer
    let clock: any TimeSource
    let ids: any IdentifierSource
    let bcryptCost: UInt8
    let tokenLifetime: TimeInterval
    let holdTTL: TimeInterval
    /// Cookies carry `Secure` when people reach Marquee over https (MARQUEE_PUBLIC_URL).
    var secureCookies = false

    func register(on router: Router<AppRequestContext>) {
        let router = router.group().add(middleware: WebErrorMiddleware(pages: pages))
        router.get("/", use: home)
        router.get("movies/:movie_id", use: movie)
        router.get("shows/:show_id", use: show)
        router.get("checkout/:hold_id", use: checkout)
        router.get("bookings", use: bookingList)
        router.get("bookings/:booking_id", use: booking)
        router.get("login", use: loginPage)
        router.post("login", use: login)
        router.get("register", use: registerPage)
        router.post("register", use: register)
        router.post("logout", use: logout)
    }

    // MARK: Session

    func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        WebSession.setCookie(name, value, maxAge: maxAge) + (secureCookies ? "; Secure" : "")
    }

    func session(_ request: Request) async -> WebContext {
        let cookies = WebSession.cookies(request)
        var context = WebContext(csrf: cookies[WebSession.csrfCookie] ?? "", cookies: cookies)
        if context.csrf.count != 32 {
            context.csrf = WebSession.newCSRFToken()
            context.setCookies.append(
                cookie(WebSession.csrfCookie, context.csrf, maxAge: Int(tokenLifetime)))
        }
        if let token = cookies[WebSession.sessionCookie], let user = try? await tokens.user(for: token),
            let account = try? await accounts.user(user)
        {
            context.userId = user.rawValue
            context.userName = account.name
        }
        return context
    }

    /// Sends a visitor who is not signed in to the sign-in page, and back here afterwards.
    func signInFirst(_ request: Request) -> Response {
        let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        return redirect("/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
    }

    func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    func notFound(_ what: String, session: WebContext) -> Response {
        pages.render(
            "message", title: "Not found",
            [
                "heading": "We could not find that \(what)", "text": "It may have ended or the link may be wrong.",
                "link": "/", "linkText": "Back to what's on",
            ],
            session: session, status: .notFound)
    }

    // MARK: Browse

    @Sendable func home(_ request: Request, context: AppRequestContext) async throws -> Response {
        var session = await session(request)
        let index = catalog.snapshot.index
        let cityId = request.query("city")?.lowercased() ?? session.cookies[WebSession.cityCookie] ?? "mumbai"
        guard let city = index.citiesById[City.ID(cityId)] ?? index.cities.first else {
            return notFound("city", session: session)
        }
        if request.query("city") != nil {
            session.setCookies.append(cookie(WebSession.cityCookie, city.id.rawValue, maxAge: 31_536_000))
        }
        let now = clock.now
        let chosenDay = request.query("date").flatMap { CatalogIndex.day($0, in: city.timeZone) }
        let dayInterval = chosenDay ?? CatalogIndex.day(PageFormat.isoDay(now, zone: city.timeZone), in: city.timeZone)
        let selectedDate = PageFormat.isoDay(dayInterval?.start ?? now, zone: city.timeZone)
        let genre = request.query("genre").flatMap { $0.isEmpty ? nil : $0 }
        let language = request.query("language").flatMap { $0.isEmpty ? nil : $0 }
        let during = dayInterval.map { DateInterval(start: max($0.start, now), end: max($0.end, now)) }
        let movies = index.movies(city: city.id, during: during, genre: genre, language: language, query: nil)
        let everything = index.movies(city: city.id, during: nil, genre: nil, language: nil, query: nil)
        let genres = Set(everything.flatMap(\.genres)).sorted()
        let languages = Set(everything.map(\.language)).sorted()
        let values: [String: Any] = [
            "cities": index.cities.map { ["id": $0.id.rawValue, "name": $0.name, "selected": $0.id == city.id] },
            "city": ["id": city.id.rawValue, "name": city.name],
            "days": dateStrip(city: city, selected: selectedDate) {
                query(["city": city.id.rawValue, "date": $0, "genre": genre, "language": language])
            },
            "date": selectedDate,
            "genres": genres.map { ["name": $0, "selected": $0 == genre] },
            "languages": languages.map { ["name": $0, "selected": $0 == language] },
            "movies": movies.map { movieCard($0, city: city.id.rawValue, date: selectedDate) },
            "noMovies": movies.isEmpty,
        ]
        return pages.render("home", title: "What's on in \(city.name)", values, session: session)
    }

    /// The next seven days as links; `link` gives each day's query string.
    func dateStrip(city: City, selected: String, link: (String) -> String) -> [[String: Any]] {
        let now = clock.now
        return (0..<7).map { offset in
            let day = now.addingTimeInterval(Double(offset) * 86400)
            let iso = PageFormat.isoDay(day, zone: city.timeZone)
            let label = offset == 0 ? "Today" : offset == 1 ? "Tomorrow" : PageFormat.day(day, zone: city.timeZone)
            return ["date": iso, "label": label, "selected": iso == selected, "query": link(iso)]
        }
    }

    func movieCard(_ movie: Movie, city: String, date: String) -> [String: Any] {
        [
            "id": movie.id.rawValue, "title": movie.title, "genres": movie.genres.joined(separator: " · "),
            "language": movie.language, "certification": movie.certification,
            "duration": PageFormat.duration(movie.durationMinutes), "kind": movie.kind,
            "initials": String(movie.title.split(separator: " ").prefix(2).compactMap(\.first)).uppercased(),
            "poster": "poster-\(abs(movie.id.rawValue.unicodeScalars.reduce(0) { $0 &* 31 &+ Int($1.value) }) % 8)",
            "href": "/movies/\(movie.id.rawValue)" + query(["city": city, "date": date]),
        ]
    }

    func query(_ items: [String: String?]) -> String {
        let pairs = items.compactMap { key, value in
            value.map { "\(key)=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        }.sorted()
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }

    @Sendable func movie(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = await session(request)
        let index = catalog.snapshot.index
        guard let movie = index.moviesById[Movie.ID(context.pathID("movie_id"))] else {
            return notFound("movie", session: session)
        }
        let cityId = request.query("city")?.lowercased() ?? session.cookies[WebSession.cityCookie] ?? "mumbai"
        guard let city = index.citiesById[City.ID(cityId)] ?? index.cities.first else {
            return notFound("city", session: session)
        }
        let now = clock.now
        let selectedDate = request.query("date") ?? PageFormat.isoDay(now, zone: city.timeZone)
        let day =
            CatalogIndex.day(selectedDate, in: city.timeZone)
            ?? DateInterval(start: now, duration: 86400)
        let near = request.query("near").flatMap(Coordinate.init(parsing:))
        let shows = index.shows(of: movie.id, city: city.id, during: day).filter { $0.startsAt > now }
        let counts = try await inventory.ledger.availableCounts(shows.map(\.id), now: now)
        var venues = Dictionary(grouping: shows, by: \.venueId).compactMap { id, shows -> (Venue, Double?, [Show])? in
            guard let venue = index.venuesById[id] else { return nil }
            return (venue, near.map { $0.distanceKm(to: venue.coordinate) }, shows.sorted { $0.startsAt < $1.startsAt })
        }
        venues.sort { a, b in
            if let da = a.1, let db = b.1 { return da < db }
            return a.0.name < b.0.name
        }
        let card = movieCard(movie, city: city.id.rawValue, date: selectedDate)
        let values: [String: Any] = [
            "movie": [
                "title": movie.title, "synopsis": movie.synopsis, "genres": movie.genres.joined(separator: " · "),
                "language": movie.language, "certification": movie.certification,
                "duration": PageFormat.duration(movie.durationMinutes), "releaseDate": movie.releaseDate,
                "kind": movie.kind,
            ] as [String: Any],
            "poster": card["poster"]!,
            "initials": card["initials"]!,
            "city": ["id": city.id.rawValue, "name": city.name],
            "days": dateStrip(city: city, selected: selectedDate) {
                query(["city": city.id.rawValue, "date": $0, "near": request.query("near")])
            },
            "sortedByDistance": near != nil,
            "venues": venues.map { venue, distance, shows in
                var item: [String: Any] = [
                    "name": venue.name, "address": venue.address,
                    "shows": shows.compactMap { show -> [String: Any]? in
                        guard let screen = index.screensById[show.screenId] else { return nil }
                        let left = counts[show.id] ?? 0
                        let total = max(1, screen.layout.seats.count)
                        return [
                            "id": show.id.rawValue, "time": PageFormat.time(show.startsAt, zone: show.timeZone),
                            "screen": screen.name, "seatsLeft": left, "soldOut": left == 0,
                            "fillingFast": left > 0 && Double(left) / Double(total) < 0.3,
                            "priceFrom": show.priceFrom.map(PageFormat.money) ?? "",
                        ]
                    },
                ]
                if let distance { item["distance"] = String(format: "%.1f km", distance) }
                return item
            },
            "noShows": venues.isEmpty,
        ]
        return pages.render("movie", title: movie.title, values, session: session)
    }
}
