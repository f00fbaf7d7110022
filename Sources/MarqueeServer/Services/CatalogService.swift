import Foundation
import MarqueeCore
import MarqueeStore
import Synchronization

/// The catalog in memory, with each screen's seat index, reloaded from the store
/// when it changes.
public final class CatalogService: Sendable {
    public struct Snapshot: Sendable {
        public let index: CatalogIndex
        public let seatIndexes: [Screen.ID: [Seat.ID: Int]]
    }

    private let store: any CatalogStore
    private let clock: any TimeSource
    private let current: Mutex<Snapshot>

    public init(store: any CatalogStore, clock: any TimeSource) async throws {
        self.store = store
        self.clock = clock
        current = Mutex(try await Self.load(store, clock: clock))
    }

    public var snapshot: Snapshot { current.withLock { $0 } }

    public func reload() async throws {
        let fresh = try await Self.load(store, clock: clock)
        current.withLock { $0 = fresh }
    }

    private static func load(_ store: any CatalogStore, clock: any TimeSource) async throws -> Snapshot {
        // Keep a day of past shows so that recent bookings still resolve.
        let index = try await store.loadCatalog(showsEndingAfter: clock.now.addingTimeInterval(-86400))
        return Snapshot(index: index, seatIndexes: index.screensById.mapValues { $0.layout.indexById() })
    }
}
