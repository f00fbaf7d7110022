import Foundation

/// Seats paid for: the result of checking out a hold.
public struct Booking: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Booking>

    public enum Status: String, Sendable, Codable {
        case confirmed, cancelled
    }

    public var id: ID
    /// A short code a person can read out at the box office.
    public var reference: String
    public var userId: User.ID
    public var showId: Show.ID
    public var holdId: Hold.ID
    public var seats: [Hold.Line]
    public var total: Money
    public var status: Status
    public var createdAt: Date
    public var tickets: [Ticket]

    public init(
        id: ID, reference: String, userId: User.ID, showId: Show.ID, holdId: Hold.ID, seats: [Hold.Line],
        total: Money, status: Status, createdAt: Date, tickets: [Ticket]
    ) {
        self.id = id
        self.reference = reference
        self.userId = userId
        self.showId = showId
        self.holdId = holdId
        self.seats = seats
        self.total = total
        self.status = status
        self.createdAt = createdAt
        self.tickets = tickets
    }
}

/// Entry for one seat, carrying a signed code a door scanner can check offline.
public struct Ticket: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Ticket>

    public enum Status: String, Sendable, Codable {
        case valid, used, cancelled
    }

    public var id: ID
    public var bookingId: Booking.ID
    public var showId: Show.ID
    public var seatId: Seat.ID
    public var code: String
    public var status: Status

    public init(id: ID, bookingId: Booking.ID, showId: Show.ID, seatId: Seat.ID, code: String, status: Status) {
        self.id = id
        self.bookingId = bookingId
        self.showId = showId
        self.seatId = seatId
        self.code = code
        self.status = status
    }
}
