import Foundation
import MarqueeCore
import Testing

@testable import MarqueeStore

/// The text one instance sends other instances for each seat change (PostgreSQL NOTIFY).
@Suite struct SeatNoticeTests {
    let expiry = Date(timeIntervalSince1970: 1_795_000_600.25)

    @Test func aNoticeReadsBackAsTheChangeItDescribes() throws {
        let seats: [Seat.ID: SeatState] = [
            "A1": SeatState(status: .held, holdId: "hld_1", holderId: "usr_1", expiresAt: expiry),
            "A2": .available,
            "B7": SeatState(status: .booked),
        ]
        let payload = "origin1 42 " + PostgresSeatLedger.notice(show: "show-1", seats: seats)
        let delta = try #require(PostgresSeatLedger.delta(fromNotification: payload))
        #expect(delta == SeatDelta(showId: "show-1", version: 42, seats: seats))
    }

    @Test func idsThatCannotBeWrittenOrTooManySeatsAskForAReload() throws {
        let odd = PostgresSeatLedger.notice(show: "show-1", seats: ["A\u{1F}1": .available])
        #expect(
            PostgresSeatLedger.delta(fromNotification: "o 7 " + odd)
                == SeatDelta(showId: "show-1", version: 7, seats: [:]))
        var many: [Seat.ID: SeatState] = [:]
        for n in 0..<400 {
            many[Seat.ID("R\(n)")] = SeatState(
                status: .held, holdId: Hold.ID("hld_\(n)"), holderId: User.ID("usr_\(n)"), expiresAt: expiry)
        }
        let big = PostgresSeatLedger.notice(show: "show-1", seats: many)
        #expect(big.utf8.count < 7000)
        #expect(PostgresSeatLedger.delta(fromNotification: "o 8 " + big)?.seats.isEmpty == true)
    }

    @Test func aMalformedNoticeIsIgnored() {
        for payload in ["", "o", "o x show-1", "o 7 ", "o 7 show-1\u{1E}A1\u{1F}x\u{1F}\u{1F}\u{1F}"] {
            #expect(PostgresSeatLedger.delta(fromNotification: payload) == nil, "\(payload)")
        }
    }
}
