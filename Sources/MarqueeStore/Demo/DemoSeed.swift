import Foundation
import MarqueeCore

/// Builds the demo catalog: the same `firstDay` always gives the same data.
public struct DemoSeed: Sendable {
    public var firstDay: Date
    public var days: Int

    /// - Parameters:
    ///   - firstDay: any instant of the first day; each city starts on its local day.
    ///   - days: how many days of shows, 7 by default.
    public init(firstDay: Date, days: Int = 7) {
        self.firstDay = firstDay
        self.days = days
    }

    /// Whether a catalog is the demo one (and may be topped up with more demo shows).
    public static func isDemo(_ index: CatalogIndex) -> Bool {
        DemoCatalog.cities.allSatisfy { index.citiesById[City.ID($0.slug)] != nil }
    }

    public func content() -> CatalogContent {
        var content = CatalogContent()
        content.movies = DemoCatalog.movies.map { item in
            Movie(
                id: Movie.ID(item.slug), title: item.title, kind: item.kind, genres: item.genres,
                language: item.language,
                durationMinutes: item.durationMinutes, certification: item.certification,
                releaseDate: item.releaseDate, synopsis: item.synopsis)
        }
        for city in DemoCatalog.cities {
            content.cities.append(
                City(
                    id: City.ID(city.slug), name: city.name, country: city.country, timeZone: city.timeZone,
                    currency: city.currency, latitude: city.latitude, longitude: city.longitude))
            let films = DemoCatalog.movies.filter {
                $0.kind == "movie" && ($0.cities.isEmpty || $0.cities.contains(city.slug))
            }
            let events = DemoCatalog.movies.filter {
                $0.kind == "event" && ($0.cities.isEmpty || $0.cities.contains(city.slug))
            }
            for (venueIndex, venue) in city.venues.enumerated() {
                content.venues.append(
                    Venue(
                        id: Venue.ID(venue.slug), cityId: City.ID(city.slug), name: venue.name, address: venue.address,
                        latitude: venue.latitude, longitude: venue.longitude, timeZone: city.timeZone))
                for screenIndex in 0..<venue.screenCount {
                    let screen = Screen(
                        id: Screen.ID("\(venue.slug)-\(screenIndex + 1)"), venueId: Venue.ID(venue.slug),
                        name: screenName(venue, screenIndex),
                        layout: DemoLayouts.layout(hall(venue, screenIndex)))
                    content.screens.append(screen)
                    let programme = venue.kind == "arena" ? events : films
                    guard !programme.isEmpty else { continue }
                    content.shows += shows(
                        on: screen, city: city, programme: programme, arena: venue.kind == "arena",
                        offset: venueIndex * 3 + screenIndex)
                }
            }
        }
        return content
    }

    private func hall(_ venue: DemoVenue, _ index: Int) -> DemoLayouts.Hall {
        if venue.kind == "arena" { return index == 0 ? DemoLayouts.arena : DemoLayouts.medium }
        if venue.flagship && index == 0 { return DemoLayouts.flagship }
        return [DemoLayouts.large, DemoLayouts.medium, DemoLayouts.studio][index % 3]
    }

    private func screenName(_ venue: DemoVenue, _ index: Int) -> String {
        if venue.kind == "arena" { return index == 0 ? "Main Hall" : "Studio" }
        if venue.flagship && index == 0 { return "IMAX Hall" }
        return "Screen \(index + 1)"
    }

    private func shows(on screen: Screen, city: DemoCity, programme: [DemoMovie], arena: Bool, offset: Int) -> [Show] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: city.timeZone)!
        let startOfFirstDay = calendar.startOfDay(for: firstDay)
        var shows: [Show] = []
        for day in 0..<days {
            let midnight = calendar.date(byAdding: .day, value: day, to: startOfFirstDay)!
            // What plays depends on the calendar date, not on the first day seeded, so a
            // later seed adds the same shows for the days it shares with an earlier one.
            let localDay = Int(
                (midnight.timeIntervalSince1970 + Double(calendar.timeZone.secondsFromGMT(for: midnight))) / 86400)
            let item = programme[(offset + localDay * (arena ? 1 : 2)) % programme.count]
            // Minutes after local midnight of each performance.
            var starts: [Int] = []
            if arena {
                starts = [19 * 60 + 30]
                if calendar.isDateInWeekend(midnight) { starts.insert(15 * 60, at: 0) }
            } else {
                var minute = 9 * 60 + 30 + (offset % 4) * 15
                while minute <= 22 * 60 + 45 {
                    starts.append(minute)
                    minute = ((minute + item.durationMinutes + 30 + 14) / 15) * 15
                }
            }
            for minute in starts {
                guard let startsAt = calendar.date(byAdding: .minute, value: minute, to: midnight) else { continue }
                let stamp = String(
                    format: "%04d%02d%02d-%02d%02d",
                    calendar.component(.year, from: midnight), calendar.component(.month, from: midnight),
                    calendar.component(.day, from: midnight), minute / 60, minute % 60)
                shows.append(
                    Show(
                        id: Show.ID("\(screen.id)-\(stamp)"), movieId: Movie.ID(item.slug), venueId: screen.venueId,
                        screenId: screen.id, startsAt: startsAt,
                        endsAt: startsAt.addingTimeInterval(Double(item.durationMinutes) * 60), timeZone: city.timeZone,
                        prices: prices(screen.layout, currency: city.currency, evening: minute >= 18 * 60, event: arena)
                    ))
            }
        }
        return shows
    }

    /// Prices in minor units by band, dearer in the evening and for live events.
    private func prices(_ layout: SeatLayout, currency: String, evening: Bool, event: Bool) -> [SeatCategory.ID: Money]
    {
        let base: [SeatCategory.ID: Int64]
        let eveningExtra: Int64
        switch currency {
        case "INR":
            base = ["silver": 18000, "gold": 26000, "platinum": 38000, "recliner": 55000]
            eveningExtra = 5000
        case "GBP":
            base = ["silver": 995, "gold": 1395, "platinum": 1695, "recliner": 1995]
            eveningExtra = 200
        default:
            base = ["silver": 1299, "gold": 1699, "platinum": 1999, "recliner": 2499]
            eveningExtra = 200
        }
        var prices: [SeatCategory.ID: Money] = [:]
        for category in layout.categories {
            var amount = (base[category.id] ?? 0) + (evening ? eveningExtra : 0)
            if event { amount *= 3 }
            prices[category.id] = Money(amount: amount, currency: currency)
        }
        return prices
    }
}
