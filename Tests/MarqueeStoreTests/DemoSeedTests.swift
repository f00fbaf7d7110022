import Foundation
import MarqueeCore
import MarqueeStore
import Testing

@Suite struct DemoSeedTests {
    let content = DemoSeed(firstDay: StoreFixture.start).content()

    @Test func theSameDayGivesTheSameData() {
        let again = DemoSeed(firstDay: StoreFixture.start).content()
        #expect(again.shows == content.shows)
        #expect(again.screens == content.screens)
        #expect(again.movies == content.movies)
    }

    @Test func citiesSpanTimeZonesAndEachHasVenuesWithCoordinates() {
        #expect(content.cities.count >= 4)
        #expect(Set(content.cities.map(\.timeZone)).count >= 2)
        #expect(content.venues.count >= 16)
        #expect(content.venues.allSatisfy { !$0.address.isEmpty && $0.latitude != 0 && $0.longitude != 0 })
        #expect(Set(content.venues.map(\.cityId)) == Set(content.cities.map(\.id)))
    }

    @Test func screensHaveRealisticSeatMaps() {
        let byVenue = Dictionary(grouping: content.screens, by: \.venueId)
        #expect(byVenue.values.allSatisfy { (2...6).contains($0.count) })
        let sizes = content.screens.map(\.layout.seats.count)
        #expect(sizes.filter { $0 >= 500 }.count >= 1, "a flagship hall of 500+ seats")
        #expect(sizes.filter { $0 < 500 }.allSatisfy { (60...400).contains($0) })
        for screen in content.screens {
            #expect((2...4).contains(screen.layout.categories.count))
            #expect(screen.layout.seats.contains { $0.accessible })
            #expect(Set(screen.layout.seats.map(\.id)).count == screen.layout.seats.count)
        }
    }

    @Test func moviesAndShowsCoverAWeekInEachVenuesLocalTime() {
        #expect(content.movies.count >= 24)
        #expect(content.movies.allSatisfy { !$0.synopsis.isEmpty && !$0.genres.isEmpty && $0.durationMinutes > 0 })
        for city in content.cities {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: city.timeZone)!
            let venues = Set(content.venues.filter { $0.cityId == city.id }.map(\.id))
            let days = Set(
                content.shows.filter { venues.contains($0.venueId) }.map { calendar.startOfDay(for: $0.startsAt) })
            #expect(days.count == 7, "\(city.name) has shows on \(days.count) days")
            // Cinema shows start between 09:00 and 23:00 local time.
            let hours = content.shows.filter { venues.contains($0.venueId) }.map {
                calendar.component(.hour, from: $0.startsAt)
            }
            #expect(hours.allSatisfy { (9...23).contains($0) })
        }
        #expect(
            content.shows.allSatisfy { show in
                let screen = content.screens.first { $0.id == show.screenId }!
                return screen.layout.categories.allSatisfy { show.prices[$0.id] != nil }
            })
    }
}
