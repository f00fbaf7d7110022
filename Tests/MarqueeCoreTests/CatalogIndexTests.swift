import Foundation
import MarqueeCore
import Testing

@Suite struct CatalogIndexTests {
    @Test func aDayIsMeasuredInTheCitysTimeZone() throws {
        let day = try #require(CatalogIndex.day("2026-11-24", in: "Asia/Kolkata"))
        #expect(day.start == ISO8601DateFormatter().date(from: "2026-11-23T18:30:00Z"))
        #expect(day.duration == 86400)
    }

    @Test func impossibleDatesAreRejected() {
        #expect(CatalogIndex.day("2026-02-30", in: "UTC") == nil)
        #expect(CatalogIndex.day("2026-13-01", in: "UTC") == nil)
        #expect(CatalogIndex.day("tomorrow", in: "UTC") == nil)
        #expect(CatalogIndex.day("-2026-01-01", in: "UTC") == nil)
        #expect(CatalogIndex.day("0000-01-01", in: "UTC") == nil)
        #expect(CatalogIndex.day("2026-1-011", in: "UTC") == nil)
        #expect(CatalogIndex.day("2026-11-24", in: "Mars/Olympus") == nil)
    }

    @Test func venuesNearAPointComeNearestFirstWithinTheRadius() {
        let city = City(
            id: "c", name: "C", country: "IN", timeZone: "Asia/Kolkata", currency: "INR", latitude: 19, longitude: 72.8)
        let near = Venue(
            id: "near", cityId: "c", name: "Z Near", address: "", latitude: 19.01, longitude: 72.8,
            timeZone: "Asia/Kolkata")
        let far = Venue(
            id: "far", cityId: "c", name: "A Far", address: "", latitude: 19.2, longitude: 72.8,
            timeZone: "Asia/Kolkata")
        let index = CatalogIndex(cities: [city], venues: [far, near], screens: [], movies: [], shows: [])
        let all = index.venues(city: "c", near: Coordinate(latitude: 19, longitude: 72.8), radiusKm: nil)
        #expect(all.map(\.0.id) == ["near", "far"])
        #expect(abs(all[0].1! - 1.11) < 0.01)
        #expect(
            index.venues(city: "c", near: Coordinate(latitude: 19, longitude: 72.8), radiusKm: 5).map(\.0.id) == [
                "near"
            ])
    }

    @Test func coordinatesParseOnlyWhenOnTheGlobe() {
        #expect(Coordinate(parsing: "19.07, 72.87") == Coordinate(latitude: 19.07, longitude: 72.87))
        #expect(Coordinate(parsing: "91,0") == nil)
        #expect(Coordinate(parsing: "19.07") == nil)
        #expect(Coordinate(parsing: "a,b") == nil)
        let mumbai = Coordinate(latitude: 19.076, longitude: 72.8777)
        let london = Coordinate(latitude: 51.5074, longitude: -0.1278)
        #expect(abs(mumbai.distanceKm(to: london) - 7190) < 20)
    }

    @Test func moneyAddsInOneCurrencyAndPrintsMinorUnits() {
        let total = [Money(amount: 25000, currency: "INR"), Money(amount: 18050, currency: "INR")].total()
        #expect(total == Money(amount: 43050, currency: "INR"))
        #expect(total?.description == "INR 430.50")
        #expect([Money]().total() == nil)
    }
}
