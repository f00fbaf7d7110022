import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import Testing

@testable import MarqueeServer

/// The pages render, sign-in sets a session cookie, and CSRF guards every change.
@Suite struct WebPagesTests {
    static func cookies(_ response: TestResponse) -> [String: String] {
        var cookies: [String: String] = [:]
        for field in response.headers where field.name == .setCookie {
            let pair = field.value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            cookies[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        return cookies
    }

    @Test func pagesRenderForAVisitorAndSigningInNeedsTheFormsCSRFToken() async throws {
        let box = try await TestBoxOffice.make()
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let home = try await client.execute(uri: "/", method: .get)
            #expect(home.status == .ok)
            #expect(home.headers[.contentType] == "text/html; charset=utf-8")
            let csrf = try #require(Self.cookies(home)[WebSession.csrfCookie])
            #expect(String(buffer: home.body).contains(#"<meta name="csrf-token" content="\#(csrf)">"#))

            let seats = try await client.execute(uri: "/shows/\(show.id)", method: .get)
            let html = String(buffer: seats.body)
            #expect(seats.status == .ok)
            #expect(html.contains(#"data-seat-id="A1""#) && html.contains(#"role="button""#))
            #expect(html.contains("aria-label=\"Row A, seat 1, "))
            #expect(try await client.execute(uri: "/shows/nope", method: .get).status == .notFound)
            // Pages for signed-in people send others to sign in, and back afterwards.
            let bookings = try await client.execute(uri: "/bookings", method: .get)
            #expect(bookings.status == .seeOther && bookings.headers[.location] == "/login?next=%2Fbookings")

            let cookie: HTTPFields = [
                .cookie: "\(WebSession.csrfCookie)=\(csrf)", .contentType: "application/x-www-form-urlencoded",
            ]
            let forged = try await client.execute(
                uri: "/login", method: .post, headers: cookie,
                body: ByteBuffer(string: "email=demo%40marquee.test&password=demo-password&csrf=wrong&next=%2Fbookings")
            )
            #expect(forged.status == .forbidden)
            #expect(Self.cookies(forged)[WebSession.sessionCookie] == nil)

            let wrongPassword = try await client.execute(
                uri: "/login", method: .post, headers: cookie,
                body: ByteBuffer(string: "email=demo%40marquee.test&password=nope&csrf=\(csrf)"))
            #expect(wrongPassword.status == .unauthorized)

            let login = try await client.execute(
                uri: "/login", method: .post, headers: cookie,
                body: ByteBuffer(
                    string: "email=demo%40marquee.test&password=demo-password&csrf=\(csrf)&next=%2Fbookings"))
            #expect(login.status == .seeOther && login.headers[.location] == "/bookings")
            let session = try #require(Self.cookies(login)[WebSession.sessionCookie])
            let setCookie = login.headers[values: .setCookie].first { $0.hasPrefix(WebSession.sessionCookie) } ?? ""
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"))

            // The API takes the cookie: reads as they are, changes only with the CSRF header.
            let both = "\(WebSession.sessionCookie)=\(session); \(WebSession.csrfCookie)=\(csrf)"
            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: both])
            #expect(me.status == .ok)
            let hold = #"{"seat_ids":["A1"]}"#
            let withoutHeader = try await client.execute(
                uri: "/api/v1/shows/\(show.id)/holds", method: .post,
                headers: [.cookie: both, .contentType: "application/json"], body: ByteBuffer(string: hold))
            #expect(withoutHeader.status == .unauthorized)
            #expect(String(buffer: withoutHeader.body).contains("needs the X-CSRF-Token header"))
            let wrongHeader = try await client.execute(
                uri: "/api/v1/shows/\(show.id)/holds", method: .post,
                headers: [.cookie: both, .contentType: "application/json", .csrfToken: "not-\(csrf)"],
                body: ByteBuffer(string: hold))
            #expect(wrongHeader.status == .unauthorized)
            #expect(String(buffer: wrongHeader.body).contains("does not match the marquee_csrf cookie"))
            let withHeader = try await client.execute(
                uri: "/api/v1/shows/\(show.id)/holds", method: .post,
                headers: [.cookie: both, .contentType: "application/json", .csrfToken: csrf],
                body: ByteBuffer(string: hold))
            #expect(withHeader.status == .created)
            let holdId = try #require(try withHeader.object()["hold_id"] as? String)

            let checkout = try await client.execute(uri: "/checkout/\(holdId)", method: .get, headers: [.cookie: both])
            #expect(checkout.status == .ok)
            #expect(String(buffer: checkout.body).contains(#"data-seconds-left="600""#))
            #expect(String(buffer: checkout.body).contains("4242 4242 4242 4242"))
            // Someone else's hold is not theirs to see.
            #expect(try await client.execute(uri: "/checkout/\(holdId)", method: .get).status == .seeOther)

            // After signing in, only our own paths are followed.
            #expect(WebRoutes.safeNext("//evil.example/x") == "/" && WebRoutes.safeNext("https://evil.example") == "/")
            #expect(WebRoutes.safeNext("/\t/evil.example") == "/" && WebRoutes.safeNext("/\\evil.example") == "/")
            #expect(WebRoutes.safeNext("/bookings") == "/bookings")
        }
    }

    @Test func cookiesAreSecureWhenPeopleReachMarqueeOverHTTPS() async throws {
        for (url, secure) in [("https://tickets.example", true), ("http://127.0.0.1:8080", false)] {
            let box = try await TestBoxOffice.make { $0.publicURL = url }
            try await buildApplication(box).test(.router) { client in
                let home = try await client.execute(uri: "/", method: .get)
                let csrf = try #require(home.headers[values: .setCookie].first { $0.hasPrefix(WebSession.csrfCookie) })
                #expect(csrf.hasSuffix("; Secure") == secure)
            }
        }
    }
}
