import Foundation

/// Seats set aside for one buyer until `expiresAt`, all or nothing.
public struct Hold: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Hold>

    public enum Status: String, Sendable, Codable {
        case active, released, expired, confirmed
    }

    public struct Line: Hashable, Sendable, Codable {
        public var id: Seat.ID
        public var category: SeatCategory.ID
        public var price: Money

        public init(id: Seat.ID, category: SeatCategory.ID, price: Money) {
            self.id = id
            self.category = category
            self.price = price
        }
    }

    public var id: ID
    public var showId: Show.ID
    public var userId: User.ID
    public var seats: [Line]
    public var total: Money
    public var createdAt: Date
    public var expiresAt: Date
    /// The stored status; see `status(at:)` for what a client should see.
    public var storedStatus: Status

    public init(
        id: ID, showId: Show.ID, userId: User.ID, seats: [Line], total: Money, createdAt: Date, expiresAt: Date,
        storedStatus: Status
    ) {
        self.id = id
        self.showId = showId
        self.userId = userId
        self.seats = seats
        self.total = total
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.storedStatus = storedStatus
    }

    public var seatIds: [Seat.ID] { seats.map(\.id) }

    /// An active hold whose time has passed is expired, whether or not the
    /// expiry timer has swept it yet.
    public func status(at now: Date) -> Status {
        if storedStatus == .active && expiresAt <= now { return .expired }
        return storedStatus
    }
}

/// Limits that keep one buyer from hoarding a show.
public struct HoldPolicy: Hashable, Sendable {
    public var maxSeatsPerHold: Int
    /// Live holds one buyer may have across all shows; one per show in any case.
    public var maxLiveHoldsPerBuyer: Int
    public var ttl: TimeInterval

    public init(maxSeatsPerHold: Int = 10, maxLiveHoldsPerBuyer: Int = 3, ttl: TimeInterval = 600) {
        self.maxSeatsPerHold = maxSeatsPerHold
        self.maxLiveHoldsPerBuyer = maxLiveHoldsPerBuyer
        self.ttl = ttl
    }

    /// Checks a seat request against the screen's layout and returns the seats in
    /// layout order, or throws the first rule it breaks.
    public func validate(_ requested: [Seat.ID], in layout: SeatLayout, index: [Seat.ID: Int]) throws(BookingError)
        -> [Seat]
    {
        if requested.isEmpty { throw .invalidField("seat_ids", "choose at least one seat") }
        if requested.count > maxSeatsPerHold {
            throw .tooManySeats(requested: requested.count, max: maxSeatsPerHold)
        }
        if requested.contains(where: { $0.rawValue.isEmpty || $0.rawValue.count > 8 }) {
            throw .invalidField("seat_ids", "a seat id is a row and a number such as F12")
        }
        var seen = Set<Seat.ID>()
        let duplicates = requested.filter { !seen.insert($0).inserted }
        if !duplicates.isEmpty {
            throw .invalidField("seat_ids", "seat \(duplicates[0]) is listed twice")
        }
        let unknown = requested.filter { index[$0] == nil }
        if !unknown.isEmpty { throw .unknownSeats(unknown) }
        return requested.compactMap { index[$0] }.sorted().map { layout.seats[$0] }
    }
}
