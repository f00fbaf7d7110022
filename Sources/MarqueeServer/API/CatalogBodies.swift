import Foundation
import MarqueeCore

/// Wire shapes of the catalog: snake_case by the encoder, times in UTC.
struct VenueBody: Encodable {
    let id: String
    let cityId: String
    let name: String
    let address: String
    let latitude: Double
    let longitude: Double
    let timeZone: String
    let distanceKm: Double?

    init(_ venue: Venue, distanceKm: Double? = nil) {
        id = venue.id.rawValue
        cityId = venue.cityId.rawValue
        name = venue.name
        address = venue.address
        latitude = venue.latitude
        longitude = venue.longitude
        timeZone = venue.timeZone
        self.distanceKm = distanceKm.map { ($0 * 100).rounded() / 100 }
    }
}

struct ScreenBody: Encodable {
    let id: String
    let name: String
    let seatCount: Int

    init(_ screen: Screen) {
        id = screen.id.rawValue
        name = screen.name
        seatCount = screen.layout.seats.count
    }
}

struct ShowSummaryBody: Encodable {
    let id: String
    let movieId: String
    let venueId: String
    let startsAt: Date
    let endsAt: Date
    let localStartsAt: String
    let timeZone: String
    let screen: ScreenBody
    let availableSeats: Int
    let priceFrom: Money?

    init(_ show: Show, screen: Screen, availableSeats: Int) {
        id = show.id.rawValue
        movieId = show.movieId.rawValue
        venueId = show.venueId.rawValue
        startsAt = show.startsAt
        endsAt = show.endsAt
        localStartsAt = LocalTime.format(show.startsAt, timeZone: show.timeZone)
        timeZone = show.timeZone
        self.screen = ScreenBody(screen)
        self.availableSeats = availableSeats
        priceFrom = show.priceFrom
    }
}

struct CategoryBody: Encodable {
    let id: String
    let name: String
    let price: Money?
    let seatCount: Int
}

struct ShowDetailBody: Encodable {
    let id: String
    let startsAt: Date
    let endsAt: Date
    let localStartsAt: String
    let timeZone: String
    let movie: Movie
    let venue: VenueBody
    let screen: ScreenBody
    let categories: [CategoryBody]
    let availableSeats: Int
    let priceFrom: Money?
}

enum LocalTime {
    /// "2026-11-23T19:45:00+05:30": the show's wall-clock time where it plays.
    static func format(_ date: Date, timeZone: String) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: timeZone) ?? .gmt
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
