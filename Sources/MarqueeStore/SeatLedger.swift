import Foundation
import MarqueeCore

/// The state of one seat of a show as the database has it.
public struct SeatState: Hashable, Sendable {
    public var status: SeatStatus
    public var holdId: Hold.ID?
    /// Who holds the seat, so a buyer asking again for their own seats hears `hold_exists`.
    public var holderId: User.ID?
    public var expiresAt: Date?

    public init(status: SeatStatus, holdId: Hold.ID? = nil, holderId: User.ID? = nil, expiresAt: Date? = nil) {
        self.status = status
        self.holdId = holdId
        self.holderId = holderId
        self.expiresAt = expiresAt
    }

    public static let available = SeatState(status: .available)

    /// A held seat whose hold has run out is free, whether or not it was swept yet.
    public func isFree(at now: Date) -> Bool {
        status == .available || (status == .held && (expiresAt ?? .distantPast) <= now)
    }

    /// What a buyer should be shown for this seat at `now`.
    public func visibleStatus(at now: Date) -> SeatStatus { isFree(at: now) ? .available : status }
}

/// All seats of a show at one version.
public struct ShowSeats: Sendable {
    public var showId: Show.ID
    public var version: Int64
    public var seats: [Seat.ID: SeatState]
    /// The version that last changed each seat, where the store keeps one per seat
    /// (PostgreSQL); empty when every seat is as of `version` (SQLite).
    public var stamps: [Seat.ID: Int64]

    public init(showId: Show.ID, version: Int64, seats: [Seat.ID: SeatState], stamps: [Seat.ID: Int64] = [:]) {
        self.showId = showId
        self.version = version
        self.seats = seats
        self.stamps = stamps
    }
}

/// Seats of one show that changed in one committed step, and the version it made.
public struct SeatDelta: Sendable, Hashable {
    public var showId: Show.ID
    public var version: Int64
    public var seats: [Seat.ID: SeatState]

    public init(showId: Show.ID, version: Int64, seats: [Seat.ID: SeatState]) {
        self.showId = showId
        self.version = version
        self.seats = seats
    }
}

/// A hold ready to be written: priced, with its id and expiry chosen.
public struct HoldDraft: Sendable {
    public let hold: Hold
    /// How many live holds (on any show) the buyer may have, this one included.
    public let maxLiveHolds: Int
    /// The seat lines as stored, encoded before the draft reaches the single writer.
    let linesJSON: String
    /// The `hold_created` outbox payload, likewise.
    let eventJSON: String

    public init(_ hold: Hold, maxLiveHolds: Int = HoldPolicy().maxLiveHoldsPerBuyer) throws {
        self.hold = hold
        self.maxLiveHolds = maxLiveHolds
        linesJSON = try JSONText.encode(hold.seats)
        eventJSON = Self.eventJSON(hold: hold.id, show: hold.showId, user: hold.userId, seats: hold.seatIds)
    }

    /// `{"hold_id":…,"seat_ids":"F12,F13","show_id":…,"user_id":…}`, written by hand: ids are
    /// letters, digits, `-` and `_`, and this runs for every hold and release.
    static func eventJSON(hold: Hold.ID, show: Show.ID, user: User.ID?, seats: [Seat.ID]) -> String {
        func quoted(_ text: String) -> String {
            if !text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                return "\"" + text + "\""
            }
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        var members = [
            "\"hold_id\":" + quoted(hold.rawValue),
            "\"seat_ids\":" + quoted(seats.map(\.rawValue).joined(separator: ",")),
            "\"show_id\":" + quoted(show.rawValue),
        ]
        if let user { members.append("\"user_id\":" + quoted(user.rawValue)) }
        return "{" + members.joined(separator: ",") + "}"
    }
}

/// A stored hold whose seat lines are still JSON text, decoded by `hold()` off
/// the single writer.
public struct HoldRecord: Sendable {
    public var id: Hold.ID
    public var showId: Show.ID
    public var userId: User.ID
    var linesJSON: String
    public var total: Money
    public var createdAt: Date
    public var expiresAt: Date
    public var status: Hold.Status

    public func hold() throws -> Hold {
        Hold(
            id: id, showId: showId, userId: userId, seats: try JSONText.decode([Hold.Line].self, linesJSON),
            total: total,
            createdAt: createdAt, expiresAt: expiresAt, storedStatus: status)
    }
}

/// A checkout ready to be written: the booking with its signed tickets and the
/// payment authorization that pays for it.
public struct BookingDraft: Sendable {
    public let booking: Booking
    public let payment: PaymentAuthorization
    let seatsJSON: String

    public init(_ booking: Booking, payment: PaymentAuthorization) throws {
        self.booking = booking
        self.payment = payment
        seatsJSON = try JSONText.encode(booking.seats)
    }
}

/// The money owed back for a cancelled booking, paid by the refund worker.
public struct RefundRecord: Sendable, Hashable {
    public enum Status: String, Sendable { case pending, succeeded }
    public var id: String
    public var bookingId: Booking.ID
    public var paymentId: PaymentAuthorization.ID
    public var amount: Money
    public var status: Status

    public init(id: String, bookingId: Booking.ID, paymentId: PaymentAuthorization.ID, amount: Money, status: Status) {
        self.id = id
        self.bookingId = bookingId
        self.paymentId = paymentId
        self.amount = amount
        self.status = status
    }
}

/// One step for the ledger. A batch of them runs in one transaction, each step
/// all-or-nothing on its own.
public enum LedgerCommand: Sendable {
    case hold(HoldDraft, now: Date)
    case release(Hold.ID, by: User.ID, now: Date)
    case expire(now: Date, limit: Int)
    case load(Show.ID)
    /// Turns the hold's seats from held into booked, only for its owner and only while it is live.
    case confirm(BookingDraft, now: Date)
    /// Cancels a booking of `user`: tickets void, seats available again, a pending
    /// refund of `refund` recorded. Cancelling again answers the first result.
    case cancel(Booking.ID, by: User.ID, refund: Money, refundId: String, now: Date)
}

public enum LedgerResult: Sendable {
    case held(Hold, SeatDelta)
    /// The hold as it ended (expired when its time had passed), with the seats freed.
    case released(HoldRecord, SeatDelta?)
    case expired([SeatDelta], holds: Int)
    case loaded(ShowSeats?)
    case confirmed(Booking, SeatDelta)
    case cancelled(RefundRecord, SeatDelta?)

    public var deltas: [SeatDelta] {
        switch self {
        case .held(_, let delta): [delta]
        case .released(_, let delta): delta.map { [$0] } ?? []
        case .expired(let deltas, _): deltas
        case .loaded: []
        case .confirmed(_, let delta): [delta]
        case .cancelled(_, let delta): delta.map { [$0] } ?? []
        }
    }
}

/// The durable seat inventory: SQLite now, PostgreSQL later, proven by the same
/// contract tests.
public protocol SeatLedger: Sendable {
    /// Runs the commands in order in one transaction. A command that breaks a
    /// rule fails alone with its `BookingError`; any other error fails the batch.
    func apply(_ commands: [LedgerCommand]) async throws -> [Result<LedgerResult, BookingError>]
    func hold(_ id: Hold.ID) async throws -> Hold?
    /// Seats that can be held now, per show.
    func availableCounts(_ shows: [Show.ID], now: Date) async throws -> [Show.ID: Int]
    /// Seats that are in more than one live hold, or held without a live hold:
    /// must always be empty (used by tests and the benchmark).
    func invariantViolations(now: Date) async throws -> [String]
    /// Whether this process is the database's only writer, all commands reaching
    /// `apply` in batches from one queue (SQLite), or one of many writers
    /// (PostgreSQL: several batches and single commands at once, row locks order them).
    var groupsCommits: Bool { get }
    /// The seats of a show that changed after `version`, each with the version
    /// that set it; where seats carry no version of their own, all of them.
    func seats(of show: Show.ID, changedAfter version: Int64) async throws -> ShowSeats?
}

extension SeatLedger {
    public var groupsCommits: Bool { true }

    public func seats(of show: Show.ID, changedAfter version: Int64) async throws -> ShowSeats? {
        guard case .success(.loaded(let seats)) = try await apply([.load(show)])[0] else { return nil }
        return seats
    }
}
