import Foundation

/// The browseable catalog held in memory: cities, venues, screens, movies and
/// shows with the lookups the box office needs. Built from the store.
public struct CatalogIndex: Sendable {
    public let cities: [City]
    public let venues: [Venue]
    public let movies: [Movie]
    public let shows: [Show]
    public let screensById: [Screen.ID: Screen]
    public let citiesById: [City.ID: City]
    public let venuesById: [Venue.ID: Venue]
    public let moviesById: [Movie.ID: Movie]
    public let showsById: [Show.ID: Show]
    private let showsByMovie: [Movie.ID: [Show]]

    public init(cities: [City], venues: [Venue], screens: [Screen], movies: [Movie], shows: [Show]) {
        self.cities = cities.sorted { $0.name < $1.name }
        self.venues = venues.sorted { $0.name.lowercased() < $1.name.lowercased() }
        self.movies = movies.sorted { $0.title < $1.title }
        self.shows = shows.sorted { ($0.startsAt, $0.id) < ($1.startsAt, $1.id) }
        screensById = Dictionary(uniqueKeysWithValues: screens.map { ($0.id, $0) })
        citiesById = Dictionary(uniqueKeysWithValues: cities.map { ($0.id, $0) })
        venuesById = Dictionary(uniqueKeysWithValues: venues.map { ($0.id, $0) })
        moviesById = Dictionary(uniqueKeysWithValues: movies.map { ($0.id, $0) })
        showsById = Dictionary(uniqueKeysWithValues: shows.map { ($0.id, $0) })
        showsByMovie = Dictionary(grouping: self.shows, by: \.movieId)
    }

    /// The UTC interval of a calendar day ("YYYY-MM-DD") in a time zone.
    public static func day(_ date: String, in timeZone: String) -> DateInterval? {
        let parts = date.split(separator: "-", omittingEmptySubsequences: false)
        let digitsAndDashes = date.utf8.allSatisfy { $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) }
        guard date.utf8.count == 10, digitsAndDashes, parts.count == 3, parts[0].count == 4, parts[1].count == 2,
            parts[2].count == 2, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1970...2100).contains(year), (1...12).contains(month), (1...31).contains(day),
            let zone = TimeZone(identifier: timeZone)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(year: year, month: month, day: day)
        guard calendar.date(from: components) != nil,
            let start = calendar.date(from: components),
            calendar.component(.day, from: start) == day,
            let end = calendar.date(byAdding: .day, value: 1, to: start)
        else { return nil }
        return DateInterval(start: start, end: end)
    }

    /// Shows of a movie, optionally only in one city, one venue and one interval.
    public func shows(of movie: Movie.ID, city: City.ID? = nil, venue: Venue.ID? = nil, during: DateInterval? = nil)
        -> [Show]
    {
        (showsByMovie[movie] ?? []).filter { show in
            if let venue, show.venueId != venue { return false }
            if let city, venuesById[show.venueId]?.cityId != city { return false }
            if let during, !(during.start <= show.startsAt && show.startsAt < during.end) { return false }
            return true
        }
    }

    /// Movies matching the filters, best title match first when `query` is given.
    public func movies(
        city: City.ID?, during: DateInterval?, genre: String?, language: String?, query: TitleMatcher?
    ) -> [Movie] {
        var playing: Set<Movie.ID>?
        if city != nil || during != nil {
            var ids = Set<Movie.ID>()
            for show in shows {
                if let during, !(during.start <= show.startsAt && show.startsAt < during.end) { continue }
                if let city, venuesById[show.venueId]?.cityId != city { continue }
                ids.insert(show.movieId)
            }
            playing = ids
        }
        let filtered = movies.filter { movie in
            if let playing, !playing.contains(movie.id) { return false }
            if let genre, !movie.genres.contains(where: { $0.caseInsensitiveCompare(genre) == .orderedSame }) {
                return false
            }
            if let language, movie.language.caseInsensitiveCompare(language) != .orderedSame { return false }
            return true
        }
        guard let query else { return filtered }
        return filtered.compactMap { movie in query.score(movie.title).map { (movie, $0) } }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.title < $1.0.title }
            .map(\.0)
    }

    /// Venues of a city (or all), with their distance from `near` when given,
    /// nearest first and within `radiusKm`.
    public func venues(city: City.ID?, near: Coordinate?, radiusKm: Double?) -> [(Venue, Double?)] {
        let inCity = venues.filter { city == nil || $0.cityId == city }
        guard let near else { return inCity.map { ($0, nil) } }
        return inCity.map { ($0, near.distanceKm(to: $0.coordinate)) }
            .filter { radiusKm == nil || $0.1! <= radiusKm! }
            .sorted { $0.1! < $1.1! }
    }
}
