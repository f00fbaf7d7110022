import Foundation

public struct City: Hashable, Sendable, Codable {
    public typealias ID = Identifier<City>
    public var id: ID
    public var name: String
    public var country: String
    public var timeZone: String
    public var currency: String
    public var latitude: Double
    public var longitude: Double

    public init(
        id: ID, name: String, country: String, timeZone: String, currency: String, latitude: Double,
        longitude: Double
    ) {
        self.id = id
        self.name = name
        self.country = country
        self.timeZone = timeZone
        self.currency = currency
        self.latitude = latitude
        self.longitude = longitude
    }
}

public struct Venue: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Venue>
    public var id: ID
    public var cityId: City.ID
    public var name: String
    public var address: String
    public var latitude: Double
    public var longitude: Double
    public var timeZone: String

    public init(
        id: ID, cityId: City.ID, name: String, address: String, latitude: Double, longitude: Double,
        timeZone: String
    ) {
        self.id = id
        self.cityId = cityId
        self.name = name
        self.address = address
        self.latitude = latitude
        self.longitude = longitude
        self.timeZone = timeZone
    }

    public var coordinate: Coordinate { Coordinate(latitude: latitude, longitude: longitude) }
}

/// A film or a live event; both are booked the same way.
public struct Movie: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Movie>
    public var id: ID
    public var title: String
    public var kind: String
    public var genres: [String]
    public var language: String
    public var durationMinutes: Int
    public var certification: String
    public var releaseDate: String
    public var synopsis: String

    public init(
        id: ID, title: String, kind: String, genres: [String], language: String, durationMinutes: Int,
        certification: String, releaseDate: String, synopsis: String
    ) {
        self.id = id
        self.title = title
        self.kind = kind
        self.genres = genres
        self.language = language
        self.durationMinutes = durationMinutes
        self.certification = certification
        self.releaseDate = releaseDate
        self.synopsis = synopsis
    }
}

public struct Screen: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Screen>
    public var id: ID
    public var venueId: Venue.ID
    public var name: String
    public var layout: SeatLayout

    public init(id: ID, venueId: Venue.ID, name: String, layout: SeatLayout) {
        self.id = id
        self.venueId = venueId
        self.name = name
        self.layout = layout
    }
}

/// One performance of a movie on a screen, priced per seat category.
public struct Show: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Show>
    public var id: ID
    public var movieId: Movie.ID
    public var venueId: Venue.ID
    public var screenId: Screen.ID
    public var startsAt: Date
    public var endsAt: Date
    public var timeZone: String
    public var prices: [SeatCategory.ID: Money]

    public init(
        id: ID, movieId: Movie.ID, venueId: Venue.ID, screenId: Screen.ID, startsAt: Date, endsAt: Date,
        timeZone: String, prices: [SeatCategory.ID: Money]
    ) {
        self.id = id
        self.movieId = movieId
        self.venueId = venueId
        self.screenId = screenId
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.timeZone = timeZone
        self.prices = prices
    }

    /// The lowest seat price of the show.
    public var priceFrom: Money? { prices.values.min { $0.amount < $1.amount } }
}

public struct User: Hashable, Sendable, Codable {
    public typealias ID = Identifier<User>
    public var id: ID
    public var email: String
    public var name: String
    public var role: String
    public var createdAt: Date

    public init(id: ID, email: String, name: String, role: String = "customer", createdAt: Date) {
        self.id = id
        self.email = email
        self.name = name
        self.role = role
        self.createdAt = createdAt
    }
}
