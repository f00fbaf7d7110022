import Foundation
import Hummingbird
import HummingbirdTesting
import MarqueeServer
import Testing

@Suite struct AuthAPITests {
    @Test func registerSignInAndAskWhoIAm() async throws {
        let app = buildApplication(try await TestBoxOffice.make())
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            let registered = try await api.send(
                .post, "/api/v1/auth/register",
                json: #"{"email":"Asha@Example.com","password":"correct-horse","name":"Asha"}"#)
            #expect(registered.status == .created)
            let user = try #require(try registered.object()["user"] as? [String: Any])
            #expect(user["email"] as? String == "asha@example.com")
            #expect(user["password_hash"] == nil)

            let login = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"asha@example.com","password":"correct-horse"}"#)
            #expect(login.status == .ok)
            let token = try #require(try login.object()["token"] as? String)
            let me = try await api.send(.get, "/api/v1/me", token: token)
            #expect((try me.object()["user"] as? [String: Any])?["name"] as? String == "Asha")
        }
    }

    @Test func aTakenEmailIsAConflictAndAWrongPasswordIsRefused() async throws {
        let app = buildApplication(try await TestBoxOffice.make())
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            _ = try await api.register("dup")
            let again = try await api.send(
                .post, "/api/v1/auth/register",
                json: #"{"email":"DUP@example.com","password":"another-pass","name":"X"}"#)
            #expect(again.status == .conflict)
            #expect(try again.object()["code"] as? String == "email_taken")
            let wrong = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"dup@example.com","password":"wrong-password"}"#)
            #expect(wrong.status == .unauthorized)
            #expect(try wrong.object()["code"] as? String == "invalid_credentials")
            let nobody = try await api.send(
                .post, "/api/v1/auth/login", json: #"{"email":"nobody@example.com","password":"whatever1"}"#)
            #expect(nobody.status == .unauthorized)
        }
    }

    @Test func theDemoCustomerCanSignIn() async throws {
        let app = buildApplication(try await TestBoxOffice.make())
        try await app.test(.router) { client in
            let response = try await APIClient(client: client).send(
                .post, "/api/v1/auth/login",
                json: #"{"email":"\#(DemoData.customerEmail)","password":"\#(DemoData.customerPassword)"}"#)
            #expect(response.status == .ok)
        }
    }

    @Test func registrationNamesTheFieldThatIsWrong() async throws {
        let app = buildApplication(try await TestBoxOffice.make())
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            let cases: [(String, String)] = [
                (#"{"email":"not-an-email","password":"correct-horse","name":"A"}"#, "email"),
                (#"{"email":"a@example.com","password":"short","name":"A"}"#, "password"),
                (#"{"email":"a@example.com","password":"correct-horse","name":"  "}"#, "name"),
                (#"{"email":"a@example.com","password":"correct-horse"}"#, "name"),
                (#"{"email":42,"password":"correct-horse","name":"A"}"#, "email"),
                (#"{"email":"a@example.com","password":"        ","name":"A"}"#, "password"),
                (#"{"email":"a@example.com","password":"correct-horse","name":"A\u0000B"}"#, "name"),
                (#"{"email":"a@example.com","password":"correct-horse","name":"A\u202eB"}"#, "name"),
            ]
            for (body, field) in cases {
                let response = try await api.send(.post, "/api/v1/auth/register", json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(try response.object()["field"] as? String == field, "\(body)")
            }
        }
    }

    @Test func badTokensAreUnauthorized() async throws {
        let app = buildApplication(try await TestBoxOffice.make())
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            let missing = try await api.send(.get, "/api/v1/me")
            let forged = try await api.send(.get, "/api/v1/me", token: "not.a.jwt")
            let basic = try await api.send(.get, "/api/v1/me", headers: [.authorization: "Basic Zm9vOmJhcg=="])
            #expect([missing.status, forged.status, basic.status] == [.unauthorized, .unauthorized, .unauthorized])
            #expect(try forged.object()["code"] as? String == "unauthenticated")
            #expect(forged.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            // A stale token does not lock anyone out of public pages or of signing in again.
            #expect(try await api.send(.get, "/api/v1/cities", token: "stale.token.here").status == .ok)
            let relogin = try await api.send(
                .post, "/api/v1/auth/login", token: "stale.token.here",
                json: #"{"email":"\#(DemoData.customerEmail)","password":"\#(DemoData.customerPassword)"}"#)
            #expect(relogin.status == .ok)
        }
    }

    @Test func tokensExpireOnTheInjectedClock() async throws {
        let clock = ManualTimeSourceFactory.make()
        let box = try await TestBoxOffice.make(clock: clock)
        let app = buildApplication(box)
        try await app.test(.router) { client in
            let api = APIClient(client: client)
            let token = try await api.register("expiring")
            #expect(try await api.send(.get, "/api/v1/me", token: token).status == .ok)
            clock.advance(by: box.configuration.tokenLifetime + 1)
            let expired = try await api.send(.get, "/api/v1/me", token: token)
            #expect(expired.status == .unauthorized)
        }
    }
}
