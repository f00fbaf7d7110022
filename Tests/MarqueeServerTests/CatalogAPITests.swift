import Foundation
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import Testing

@Suite struct CatalogAPITests {
    @Test func citiesListTheirTimeZones() async throws {
        let app = buildApplication(try await TestBoxOffice.make())
        try await app.test(.router) { client in
            let response = try await APIClient(client: client).send(.get, "/api/v1/cities")
            #expect(response.status == .ok)
            let cities = try #require(try response.object()["cities"] as? [[String: Any]])
            #expect(cities.count >= 4)
            #expect(cities.contains { $0["id"] as? String == "mumbai" && $0["time_zone"] as? String == "Asia/Kolkata" })
        }
    }

    @Test func typoTolerantSearchFindsTitles() async throws {
        let app = buildApplication(try await TestBoxOffice.make())
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            let avengers = try await api.send(.get, "/api/v1/movies?q=avengrs").object()["movies"] as? [[String: Any]]
            #expect(avengers?.first?["title"] as? String == "Avengers: Endgame")
            let knight =
                try await api.send(.get, "/api/v1/movies?q=dark%20night").object()["movies"] as? [[String: Any]]
            #expect(knight?.first?["title"] as? String == "The Dark Knight")
            #expect(knight?.first?["duration_minutes"] as? Int == 152)
        }
    }

    @Test func moviesOfACityAndDayAreWhatPlaysThereThatDay() async throws {
        let box = try await TestBoxOffice.make()
        let app = buildApplication(box)
        try await app.test(.router) { client in
            let response = try await APIClient(client: client).send(.get, "/api/v1/movies?city=london&date=2026-11-24")
            let movies = try #require(try response.object()["movies"] as? [[String: Any]])
            let index = box.catalog.snapshot.index
            let day = CatalogIndex.day("2026-11-24", in: "Europe/London")!
            let expected = Set(
                index.shows.filter {
                    index.venuesById[$0.venueId]?.cityId == "london" && day.contains($0.startsAt)
                        && $0.startsAt < day.end
                }.map(\.movieId.rawValue))
            #expect(!expected.isEmpty)
            #expect(Set(movies.compactMap { $0["id"] as? String }) == expected)
            // Hindi films are programmed only in the Indian cities.
            #expect(!movies.contains { $0["language"] as? String == "Hindi" })
        }
    }

    @Test func showtimesAreGroupedByVenueWithSeatsLeftAndPrices() async throws {
        let box = try await TestBoxOffice.make()
        let app = buildApplication(box)
        let show = box.upcomingShow(after: TestBoxOffice.start)
        try await app.test(.router) { client in
            let city = box.catalog.snapshot.index.venuesById[show.venueId]!.cityId
            let response = try await APIClient(client: client).send(
                .get, "/api/v1/movies/\(show.movieId)/showtimes?city=\(city)")
            let venues = try #require(try response.object()["venues"] as? [[String: Any]])
            let shows = venues.flatMap { ($0["shows"] as? [[String: Any]]) ?? [] }
            let listed = try #require(shows.first { $0["id"] as? String == show.id.rawValue })
            let screen = box.catalog.snapshot.index.screensById[show.screenId]!
            #expect(listed["available_seats"] as? Int == screen.layout.seats.count)
            #expect(listed["time_zone"] as? String == show.timeZone)
            #expect((listed["price_from"] as? [String: Any])?["amount"] as? Int == Int(show.priceFrom!.amount))
            #expect(venues.allSatisfy { ($0["venue"] as? [String: Any])?["id"] != nil })
            // Shows that have already started are not offered.
            let started = try await APIClient(client: client).send(
                .get, "/api/v1/movies/\(show.movieId)/showtimes?city=\(city)&date=2026-11-22")
            let past = try #require(try started.object()["venues"] as? [[String: Any]])
            #expect(past.isEmpty)
            // The show itself has every seat to offer until it starts, and none after.
            func available() async throws -> Int? {
                try await APIClient(client: client).send(.get, "/api/v1/shows/\(show.id)").object()["available_seats"]
                    as? Int
            }
            #expect(try await available() == screen.layout.seats.count)
            try #require(box.environment.clock as? ManualTimeSource).set(show.startsAt)
            #expect(try await available() == 0)
        }
    }

    @Test func venuesNearAPointComeNearestFirst() async throws {
        let app = buildApplication(try await TestBoxOffice.make())
        try await app.test(.router) { client in
            let response = try await APIClient(client: client).send(
                .get, "/api/v1/venues?near=51.51,-0.13&radius_km=30")
            let venues = try #require(try response.object()["venues"] as? [[String: Any]])
            let distances = venues.compactMap { $0["distance_km"] as? Double }
            #expect(!venues.isEmpty && distances.count == venues.count)
            #expect(distances == distances.sorted())
            #expect(venues.allSatisfy { $0["city_id"] as? String == "london" })
        }
    }

    @Test func theSeatMapCarriesAnETagAndAnswers304WhenUnchanged() async throws {
        let box = try await TestBoxOffice.make()
        let app = buildApplication(box)
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            let first = try await api.send(.get, "/api/v1/shows/\(show.id)/seats")
            #expect(first.status == .ok)
            let etag = try #require(first.headers[.eTag])
            let body = try first.object()
            let seats = try #require(body["seats"] as? [[String: Any]])
            #expect(seats.count >= 500)
            let f12 = try #require(seats.first { $0["id"] as? String == "F12" })
            #expect(
                f12["row"] as? String == "F" && f12["number"] as? Int == 12 && f12["status"] as? String == "available")
            #expect((f12["price"] as? [String: Any])?["currency"] as? String != nil)
            #expect(seats.contains { $0["accessible"] as? Bool == true })
            let again = try await api.send(.get, "/api/v1/shows/\(show.id)/seats", headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            // A hold changes the map, so the old ETag no longer matches.
            let token = try await api.register("etag")
            #expect(
                try await api.send(
                    .post, "/api/v1/shows/\(show.id)/holds", token: token, json: #"{"seat_ids":["F12"]}"#
                ).status == .created)
            let changed = try await api.send(.get, "/api/v1/shows/\(show.id)/seats", headers: [.ifNoneMatch: etag])
            #expect(changed.status == .ok)
            let held = try #require(try changed.object()["seats"] as? [[String: Any]]).first {
                $0["id"] as? String == "F12"
            }
            #expect(held?["status"] as? String == "held")
        }
    }

    @Test func aShowListsItsMovieVenueScreenAndPricedCategories() async throws {
        let box = try await TestBoxOffice.make()
        let app = buildApplication(box)
        let show = box.upcomingShow(after: TestBoxOffice.start)
        try await app.test(.router) { client in
            let body = try await APIClient(client: client).send(.get, "/api/v1/shows/\(show.id)").object()
            #expect((body["movie"] as? [String: Any])?["id"] as? String == show.movieId.rawValue)
            #expect((body["venue"] as? [String: Any])?["id"] as? String == show.venueId.rawValue)
            let categories = try #require(body["categories"] as? [[String: Any]])
            #expect(categories.count >= 2 && categories.allSatisfy { $0["price"] != nil })
        }
    }

    @Test func healthAnswersLiveAndReady() async throws {
        let app = buildApplication(try await TestBoxOffice.make())
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            #expect(try await api.send(.get, "/health/live").status == .ok)
            let ready = try await api.send(.get, "/health/ready")
            #expect(ready.status == .ok)
            #expect(try ready.object()["status"] as? String == "ready")
        }
    }

    @Test func headAnswersWhatGetWouldWithoutTheBody() async throws {
        let app = buildApplication(try await TestBoxOffice.make())
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            for path in ["/health/live", "/health/ready", "/api/v1/cities", "/"] {
                let get = try await api.send(.get, path)
                let head = try await api.send(.head, path)
                #expect(get.status == .ok && head.status == .ok, "\(path): GET \(get.status), HEAD \(head.status)")
                #expect(get.body.readableBytes > 0)
                #expect(head.body.readableBytes == 0, "\(path)")
                #expect(head.headers[.contentType] == get.headers[.contentType], "\(path)")
            }
            // A path that has no GET has no HEAD either.
            #expect(try await api.send(.head, "/api/v1/no-such-thing").status == .notFound)
        }
    }
}

@Suite struct DemoTopUpTests {
    @Test func aDemoBoxOfficeOpenedDaysLaterStillHasAWeekOfShows() async throws {
        let clock = ManualTimeSourceFactory.make()
        let box = try await TestBoxOffice.make(clock: clock)
        let before = box.catalog.snapshot.index.shows
        clock.advance(by: 3 * 86400)
        let added = try await DemoData.extend(box.stores.catalog, clock: clock)
        #expect(added > 0)
        try await box.catalog.reload()
        let after = box.catalog.snapshot.index.shows
        // Shows that existed are untouched; the new ones reach six days past the new "now".
        let old = Dictionary(uniqueKeysWithValues: before.map { ($0.id, $0) })
        #expect(after.filter { old[$0.id] != nil }.allSatisfy { old[$0.id] == $0 })
        let last = try #require(after.map(\.startsAt).max())
        #expect(last > clock.now.addingTimeInterval(6 * 86400))
        // Opening again adds nothing more.
        #expect(try await DemoData.extend(box.stores.catalog, clock: clock) == 0)
    }
}
