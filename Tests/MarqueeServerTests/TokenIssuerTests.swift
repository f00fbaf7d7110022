import Foundation
import MarqueeCore
import Testing

@testable import MarqueeServer

/// Bearer tokens are verified once per instance, whatever the answer.
@Suite struct TokenIssuerTests {
    @Test func aTokenIsVerifiedOnceAndOneRefusedIsRefusedAgainWithoutVerifying() async throws {
        let clock = ManualTimeSourceFactory.make()
        let issuer = await TokenIssuer(secret: TestBoxOffice.secret, clock: clock, lifetime: 3600)
        // Another instance with the same secret signs the tokens, so this one has not seen them.
        let elsewhere = await TokenIssuer(secret: TestBoxOffice.secret, clock: clock, lifetime: 3600)
        func refusals(_ token: String, saying reason: String) async {
            for _ in 0..<3 {
                await #expect {
                    _ = try await issuer.user(for: token)
                } throws: { error in
                    "\(error)".contains(reason)
                }
            }
        }

        let token = try await elsewhere.token(for: User.ID("usr_valid"))
        #expect(try await issuer.user(for: token) == User.ID("usr_valid"))
        #expect(try await issuer.user(for: token) == User.ID("usr_valid"))
        #expect(issuer.verifications.load(ordering: .relaxed) == 1)

        // The same token with another signature.
        let forged = String(token.dropLast(4)) + (token.hasSuffix("AAAA") ? "BBBB" : "AAAA")
        await refusals(forged, saying: "not valid")
        await refusals("not.a.jwt", saying: "not valid")
        #expect(issuer.verifications.load(ordering: .relaxed) == 3)
        // Longer than any token we sign: refused without reading it.
        await refusals(token + String(repeating: "A", count: TokenIssuer.longestToken), saying: "not valid")
        #expect(issuer.verifications.load(ordering: .relaxed) == 3)

        let late = try await elsewhere.token(for: User.ID("usr_late"))
        clock.advance(by: 3601)
        await refusals(late, saying: "expired")
        await refusals(token, saying: "expired")
        #expect(issuer.verifications.load(ordering: .relaxed) == 4)
    }
}
