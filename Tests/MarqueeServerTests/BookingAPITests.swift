import AsyncHTTPClient
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import MarqueeStore
import NIOCore
import Testing

/// Checkout over HTTP: the sandbox provider, idempotency, tickets.
@Suite struct BookingAPITests {
    struct Buyer {
        let api: APIClient
        let token: String
        let show: Show

        func hold(_ seats: [String]) async throws -> String {
            let body = "{\"seat_ids\":[\(seats.map { "\"\($0)\"" }.joined(separator: ","))]}"
            let response = try await api.send(.post, "/api/v1/shows/\(show.id)/holds", token: token, json: body)
            guard response.status == .created, let id = try response.object()["hold_id"] as? String else {
                throw TestFailure("hold answered \(response.status): \(String(buffer: response.body))")
            }
            return id
        }

        func book(_ hold: String, card: String = "tok_visa", key: String) async throws -> TestResponse {
            try await api.send(
                .post, "/api/v1/bookings", token: token,
                json: #"{"hold_id":"\#(hold)","payment":{"token":"\#(card)"}}"#,
                headers: [.idempotencyKeyTest: key])
        }
    }

    func buyer(_ client: some TestClientProtocol, _ box: BoxOffice, name: String) async throws -> Buyer {
        let api = APIClient(client: client)
        return Buyer(
            api: api, token: try await api.register(name),
            show: box.upcomingShow(after: TestBoxOffice.start, seats: 500))
    }

    @Test func aHoldBecomesAPaidBookingWithSignedTickets() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let buyer = try await buyer(client, box, name: "payer")
            // Card details go to the sandbox provider, never to the booking API.
            let tokenized = try await buyer.api.send(
                .post, "/sandbox/psp/tokens",
                json: #"{"card_number":"4242 4242 4242 4242","exp_month":12,"exp_year":2030,"cvc":"123"}"#)
            #expect(tokenized.status == .created)
            let card = try #require(try tokenized.object()["token"] as? String)
            let hold = try await buyer.hold(["F12", "F13"])
            let response = try await buyer.book(hold, card: card, key: "checkout-1")
            #expect(response.status == .created)
            let booking = try response.object()
            #expect(booking["status"] as? String == "confirmed")
            #expect((booking["reference"] as? String)?.count == 8)
            let tickets = try #require(booking["tickets"] as? [[String: Any]])
            #expect(tickets.compactMap { $0["seat_id"] as? String }.sorted() == ["F12", "F13"])

            // Codes verify offline against the published key, and a changed code does not.
            let published =
                try await buyer.api.send(.get, "/api/v1/tickets/public-key").object()["public_key"] as? String
            let key = try #require(published)
            let verifier = try #require(TicketVerifier(publicKey: key))
            let code = try #require(tickets.first?["code"] as? String)
            let claims = try #require(verifier.verify(code))
            #expect(claims.bookingId.rawValue == booking["booking_id"] as? String)
            #expect(claims.showId == buyer.show.id)
            // Moving the ticket to another seat breaks the signature.
            let parts = code.split(separator: ".").map(String.init)
            let message = String(decoding: try #require(Base64URL.decode(parts[0])), as: UTF8.self)
            let seat = try #require(tickets.first?["seat_id"] as? String)
            let forged =
                Base64URL.encode(Data(message.replacingOccurrences(of: "|\(seat)", with: "|A1").utf8)) + "." + parts[1]
            #expect(forged != code)
            #expect(verifier.verify(forged) == nil)
            #expect(verifier.verify("not-a-code") == nil)

            // The QR code of each ticket scans back to its code.
            let qrPath = try #require(tickets.first?["qr_svg_url"] as? String)
            let qr = try await buyer.api.send(.get, qrPath, token: buyer.token)
            #expect(qr.status == .ok)
            #expect(qr.headers[.contentType] == "image/svg+xml")
            #expect(try QRScanTests.scan(svg: String(buffer: qr.body)) == code)
            let snoop = try await buyer.api.register("qr-snoop")
            #expect(try await buyer.api.send(.get, qrPath, token: snoop).status == .notFound)

            // The seats read booked, the hold confirmed, and the money captured once.
            let seats =
                try await buyer.api.send(.get, "/api/v1/shows/\(buyer.show.id)/seats").object()["seats"]
                as? [[String: Any]]
            #expect(seats?.first { $0["id"] as? String == "F12" }?["status"] as? String == "booked")
            #expect(
                try await buyer.api.send(.get, "/api/v1/holds/\(hold)", token: buyer.token).object()["status"]
                    as? String == "confirmed")
            let payments = try await box.sandboxPayments.payments()
            #expect(payments.map(\.status) == [.captured])
            #expect(payments.first?.amount.amount == (booking["total"] as? [String: Any])?["amount"] as? Int64)

            let mine =
                try await buyer.api.send(.get, "/api/v1/bookings", token: buyer.token).object()["bookings"]
                as? [[String: Any]]
            #expect(mine?.map { $0["booking_id"] as? String } == [booking["booking_id"] as? String])
            let other = try await buyer.api.register("snoop")
            #expect(
                try await buyer.api.send(.get, "/api/v1/bookings/\(booking["booking_id"]!)", token: other).status
                    == .notFound)
        }
    }

    /// A number that does not fit its field is named, not called invalid JSON.
    @Test(arguments: [
        (#""exp_month":12.5,"exp_year":2030"#, "exp_month"),
        (#""exp_month":12,"exp_year":99999999999999999999"#, "exp_year"),
        // A fraction in a field the request does not have is not the one named.
        (#""client_lat":51.5,"exp_month":12.5,"exp_year":2030"#, "exp_month"),
    ])
    func aNumberThatDoesNotFitItsFieldIsNamed(fields: String, field: String) async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let response = try await APIClient(client: client).send(
                .post, "/sandbox/psp/tokens", json: #"{"card_number":"4242424242424242",\#(fields),"cvc":"123"}"#)
            #expect(response.status == .badRequest)
            let problem = try response.object()
            #expect(problem["code"] as? String == "invalid_field")
            #expect(problem["field"] as? String == field)
        }
    }

    /// Card details the sandbox provider turns away, each naming the field; digits
    /// from other scripts (Arabic-Indic ٤٢٤٢…) are not card digits even where Swift
    /// calls them numbers.
    @Test(arguments: [
        ("4242 4242 4242 4241", 12, 2030, "123", "card_number"),
        ("٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", 12, 2030, "123", "card_number"),
        ("4242-4242-4242-4242", 13, 2030, "123", "exp_month"),
        ("4242 4242 4242 4242", 1, 2001, "123", "exp_year"),
        ("4242 4242 4242 4242", 1, 2201, "123", "exp_year"),
        ("4242 4242 4242 4242", 12, 2030, "12", "cvc"),
        ("4242 4242 4242 4242", 12, 2030, "١٢٣", "cvc"),
    ])
    func theSandboxProviderNamesWhatIsWrongWithACard(number: String, month: Int, year: Int, cvc: String, field: String)
        async throws
    {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let response = try await APIClient(client: client).send(
                .post, "/sandbox/psp/tokens",
                json: #"{"card_number":"\#(number)","exp_month":\#(month),"exp_year":\#(year),"cvc":"\#(cvc)"}"#)
            #expect(response.status == .badRequest)
            let problem = try response.object()
            #expect(problem["code"] as? String == "invalid_card")
            #expect(problem["field"] as? String == field)
        }
    }

    @Test func aDeclinedCardKeepsTheHoldAndAnotherCardPays() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let buyer = try await buyer(client, box, name: "declined")
            let hold = try await buyer.hold(["G5"])
            let declined = try await buyer.book(hold, card: "tok_insufficient_funds", key: "try-1")
            #expect(declined.status.code == 402)
            #expect(try declined.object()["code"] as? String == "payment_declined")
            #expect(try declined.object()["decline_reason"] as? String == "insufficient_funds")
            #expect(
                try await buyer.api.send(.get, "/api/v1/holds/\(hold)", token: buyer.token).object()["status"]
                    as? String == "active")
            let paid = try await buyer.book(hold, card: "tok_visa", key: "try-2")
            #expect(paid.status == .created)
        }
    }

    @Test func aTimeoutIsSettledByAskingTheProvider() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let buyer = try await buyer(client, box, name: "slow")
            let response = try await buyer.book(try await buyer.hold(["H1"]), card: "tok_timeout", key: "slow-1")
            #expect(response.status == .created)
            #expect(try await box.sandboxPayments.payments().map(\.status) == [.captured])
        }
    }

    @Test func checkoutNeedsAKeyALiveHoldAndTheHoldsOwner() async throws {
        let clock = ManualTimeSourceFactory.make()
        let box = try await TestBoxOffice.make(clock: clock, holdTTL: 60)
        try await buildApplication(box).test(.router) { client in
            let buyer = try await buyer(client, box, name: "owner")
            let hold = try await buyer.hold(["J3"])
            let noKey = try await buyer.api.send(
                .post, "/api/v1/bookings", token: buyer.token,
                json: #"{"hold_id":"\#(hold)","payment":{"token":"tok_visa"}}"#)
            #expect(noKey.status == .badRequest)
            let thief = try await buyer.api.register("thief")
            let stolen = try await buyer.api.send(
                .post, "/api/v1/bookings", token: thief,
                json: #"{"hold_id":"\#(hold)","payment":{"token":"tok_visa"}}"#,
                headers: [.idempotencyKeyTest: "x"])
            #expect(stolen.status == .notFound)
            clock.advance(by: 60)
            let late = try await buyer.book(hold, key: "late")
            #expect(late.status == .gone)
            #expect(try late.object()["code"] as? String == "hold_expired")
            #expect(try await box.sandboxPayments.payments().isEmpty)
        }
    }

    @Test func fiftyRetriesWithOneKeyMakeOneBookingAndOneCharge() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.live) { client in
            let port = try #require(client.port)
            let buyer = try await buyer(client, box, name: "impatient")
            let hold = try await buyer.hold(["K9", "K10"])
            let http = RaceClient.make(connections: 50)
            let answers = await withTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/bookings")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(buyer.token)")
                        request.headers.add(name: "Idempotency-Key", value: "same-key")
                        request.body = .bytes(
                            ByteBuffer(string: #"{"hold_id":"\#(hold)","payment":{"token":"tok_visa"}}"#))
                        do {
                            let response = try await http.execute(request, timeout: RaceClient.deadline)
                            let body = try await response.body.collect(upTo: 1 << 20)
                            let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
                            return (Int(response.status.code), object?["booking_id"] as? String)
                        } catch {
                            return (-1, String(describing: error))
                        }
                    }
                }
                var all: [(Int, String?)] = []
                for await answer in group { all.append(answer) }
                return all
            }
            try await http.shutdown()
            // Every answer is the booking or "still running"; there is exactly one booking and one charge.
            #expect(answers.allSatisfy { $0.0 == 201 || $0.0 == 409 }, "\(answers.map { "\($0.0) \($0.1 ?? "")" })")
            #expect(Set(answers.filter { $0.0 == 201 }.compactMap(\.1)).count == 1)
            #expect(try await box.strings("SELECT CAST(COUNT(*) AS TEXT) FROM bookings") == ["1"])
            #expect(try await box.sandboxPayments.payments().count == 1)
        }
    }

    @Test func theDatabaseRefusesASecondValidTicketForASeat() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let buyer = try await buyer(client, box, name: "first")
            #expect(try await buyer.book(try await buyer.hold(["L4"]), key: "k").status == .created)
        }
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        let error = await #expect(throws: (any Error).self) {
            try await box.execute(
                "INSERT INTO tickets (id, booking_id, show_id, seat_id, code, status) SELECT 'forged', booking_id, show_id, seat_id, 'x', 'valid' FROM tickets WHERE show_id = ? AND seat_id = 'L4'",
                show.id.rawValue)
        }
        // Refused by the unique index, not for any other reason.
        let text = String(reflecting: error)
        #expect(text.contains("UNIQUE constraint failed") || text.contains("23505"), "\(text)")
        #expect(try await box.strings("SELECT id FROM tickets WHERE id = 'forged'").isEmpty)
    }
}
