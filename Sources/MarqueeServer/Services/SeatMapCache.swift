import Foundation
import Hummingbird
import MarqueeCore
import MarqueeStore
import Synchronization

/// Seat maps encoded once per show version and served as ready bytes. An entry
/// is also redone when a hold in it runs out, since that seat then reads free.
final class SeatMapCache: Sendable {
    struct Entry: Sendable {
        let version: Int64
        let validUntil: Date?
        let etag: String
        let body: ByteBuffer
    }

    private let entries = Mutex<[Show.ID: Entry]>([:])
    static let capacity = 512

    func entry(for show: Show, layout: SeatLayout, inventory: SeatInventory, now: Date) async throws -> Entry? {
        if let current = inventory.version(of: show.id),
            let cached = entries.withLock({ $0[show.id] }),
            cached.version == current, cached.validUntil.map({ now < $0 }) ?? true
        {
            return cached
        }
        guard let seats = try await inventory.seats(of: show.id) else { return nil }
        let entry = try Self.encode(show: show, layout: layout, seats: seats, now: now)
        entries.withLock { entries in
            if let existing = entries[show.id], existing.version > entry.version { return }
            // Bounded: a week of shows at ~80 KB each would otherwise stay in memory.
            if entries.count >= Self.capacity && entries[show.id] == nil { entries.removeAll(keepingCapacity: true) }
            entries[show.id] = entry
        }
        return entry
    }

    private static func encode(show: Show, layout: SeatLayout, seats: ShowSeats, now: Date) throws -> Entry {
        let body = SeatMapBody(
            showId: show.id.rawValue, version: seats.version,
            seats: layout.seats.map { seat in
                let state = seats.seats[seat.id] ?? SeatState(status: .blocked)
                return SeatMapBody.SeatBody(
                    id: seat.id.rawValue, row: seat.row, number: seat.number, x: seat.x, y: seat.y,
                    category: seat.category.rawValue, price: show.prices[seat.category], accessible: seat.accessible,
                    status: state.visibleStatus(at: now).rawValue)
            })
        let data = try APIJSON.encoder.encode(body)
        let validUntil = seats.seats.values.lazy.filter { $0.status == .held }.compactMap(\.expiresAt).filter {
            $0 > now
        }
        .min()
        return Entry(
            version: seats.version, validUntil: validUntil,
            etag: "\"v\(seats.version)-\(String(fnv1a(data), radix: 16))\"", body: ByteBuffer(data: data))
    }

    private static func fnv1a(_ data: Data) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

struct SeatMapBody: Encodable {
    struct SeatBody: Encodable {
        let id: String
        let row: String
        let number: Int
        let x: Int
        let y: Int
        let category: String
        let price: Money?
        let accessible: Bool
        let status: String
    }

    let showId: String
    let version: Int64
    let seats: [SeatBody]
}
