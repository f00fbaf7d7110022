import Foundation

/// What a ticket's code says, before signing: enough for a door scanner to
/// admit one person to one seat of one show without asking the server.
public struct TicketClaims: Hashable, Sendable {
    public var ticketId: Ticket.ID
    public var bookingId: Booking.ID
    public var showId: Show.ID
    public var seatId: Seat.ID

    public init(ticketId: Ticket.ID, bookingId: Booking.ID, showId: Show.ID, seatId: Seat.ID) {
        self.ticketId = ticketId
        self.bookingId = bookingId
        self.showId = showId
        self.seatId = seatId
    }

    /// `MQ1|ticket|booking|show|seat`; ids never contain `|`.
    public var message: String {
        ["MQ1", ticketId.rawValue, bookingId.rawValue, showId.rawValue, seatId.rawValue].joined(separator: "|")
    }

    public init?(message: String) {
        let parts = message.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "MQ1", parts[1...].allSatisfy({ !$0.isEmpty }) else { return nil }
        self.init(
            ticketId: Ticket.ID(parts[1]), bookingId: Booking.ID(parts[2]), showId: Show.ID(parts[3]),
            seatId: Seat.ID(parts[4]))
    }
}

/// Base64url without padding, the alphabet of ticket codes.
public enum Base64URL {
    public static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> Data? {
        guard text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
