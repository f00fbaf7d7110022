import Foundation
import MarqueeCore
import Testing

@Suite struct QRCodeTests {
    @Test func aTicketLengthCodeFitsAndHasTheStandardShape() throws {
        let text = String(repeating: "MQ1|tkt_0123456789abcdef|bkg_", count: 6)
        let code = try QRCode(bytes: Array(text.utf8))
        #expect(code.size == code.version * 4 + 17)
        // Finder pattern corners are dark, with their light separator ring.
        #expect(code.modules[0][0] && code.modules[0][6] && code.modules[6][0] && !code.modules[7][7])
        #expect(code.modules[0][code.size - 1] && code.modules[code.size - 1][0])
        #expect(throws: QRCode.EncodingError.self) { try QRCode(bytes: Array(repeating: 65, count: 600)) }
    }
}
