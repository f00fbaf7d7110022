import Foundation
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import Synchronization
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

/// An account is asked about once; a database that cannot answer lets a well-signed
/// token through (and asks again next time) rather than locking every buyer out.
@Suite struct AccountCheckTests {
    @Test func eachAccountIsAskedAboutOnceAndAnUnansweredQuestionIsAskedAgain() async throws {
        let clock = ManualTimeSourceFactory.make()
        let asked = Mutex<[String]>([])
        let down = Mutex(true)
        let issuer = await TokenIssuer(secret: TestBoxOffice.secret, clock: clock, lifetime: 3600) { user in
            asked.withLock { $0.append(user.rawValue) }
            if down.withLock({ $0 }) { throw TestFailure("the database is out of reach") }
            return true
        }
        let elsewhere = await TokenIssuer(secret: TestBoxOffice.secret, clock: clock, lifetime: 3600)
        let first = try await elsewhere.token(for: User.ID("usr_a"))
        #expect(try await issuer.user(for: first) == User.ID("usr_a"))
        down.withLock { $0 = false }
        #expect(try await issuer.user(for: first) == User.ID("usr_a"))
        // A second token of the same account is not asked about again.
        clock.advance(by: 1)
        let second = try await elsewhere.token(for: User.ID("usr_a"))
        #expect(try await issuer.user(for: second) == User.ID("usr_a"))
        #expect(asked.withLock { $0 } == ["usr_a", "usr_a"])
    }
}

/// A token whose signature is good but whose account is not there (the database
/// was made anew while the token secret was kept) signs nobody in.
@Suite struct GhostAccountTests {
    @Test func aGoodTokenForAnAccountThatIsNotThereIsRefusedAndChangesNothing() async throws {
        let box = try await TestBoxOffice.make()
        // Signed with this box office's own secret, as a token from before the database was made anew.
        let before = await TokenIssuer(secret: TestBoxOffice.secret, clock: box.environment.clock, lifetime: 3600)
        let ghost = try await before.token(for: User.ID("usr_ghost"))
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            func hold(_ token: String) async throws -> TestResponse {
                try await api.send(.post, "/api/v1/shows/\(show.id)/holds", token: token, json: #"{"seat_ids":["A1"]}"#)
            }
            let refused = try await hold(ghost)
            #expect(refused.status == .unauthorized)
            #expect(String(buffer: refused.body).contains("does not exist"), "\(String(buffer: refused.body))")
            #expect(try await hold(ghost).status == .unauthorized)
            #expect(try await api.send(.get, "/api/v1/me", token: ghost).status == .unauthorized)
            // A real account's token from the same signer still works.
            let real = try await box.tokens.user(for: try await api.register("real"))
            let held = try await hold(try await before.token(for: real))
            #expect(held.status == .created, "\(String(buffer: held.body))")
        }
        #expect(try await box.strings("SELECT user_id FROM holds").allSatisfy { $0 != "usr_ghost" })
    }
}
