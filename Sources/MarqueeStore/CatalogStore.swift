import Foundation
import MarqueeCore

/// Everything that can be browsed: what the demo seed writes and what partners
/// will edit. The server keeps a `CatalogIndex` of it in memory.
public struct CatalogContent: Sendable {
    public var cities: [City] = []
    public var venues: [Venue] = []
    public var screens: [Screen] = []
    public var movies: [Movie] = []
    public var shows: [Show] = []

    public init(
        cities: [City] = [], venues: [Venue] = [], screens: [Screen] = [], movies: [Movie] = [], shows: [Show] = []
    ) {
        self.cities = cities
        self.venues = venues
        self.screens = screens
        self.movies = movies
        self.shows = shows
    }
}

public protocol CatalogStore: Sendable {
    /// Writes catalog records (replacing ones with the same id) and creates the
    /// seat inventory of each new show, every seat available.
    func save(_ content: CatalogContent) async throws
    /// The catalog with shows that end after `showsEndingAfter`.
    func loadCatalog(showsEndingAfter: Date) async throws -> CatalogIndex
}
