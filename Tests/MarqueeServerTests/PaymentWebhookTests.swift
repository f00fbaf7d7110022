import AsyncHTTPClient
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeStore
import Testing

@testable import MarqueeServer

@Suite struct PaymentWebhookTests {
    @Test func onlyCorrectlySignedRecentProviderEventsAreAccepted() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let token = try await api.register("hooked")
            let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
            let hold = try await api.send(
                .post, "/api/v1/shows/\(show.id)/holds", token: token, json: #"{"seat_ids":["T1"]}"#)
            let holdId = try #require(try hold.object()["hold_id"] as? String)
            #expect(
                try await api.send(
                    .post, "/api/v1/bookings", token: token,
                    json: #"{"hold_id":"\#(holdId)","payment":{"token":"tok_visa"}}"#,
                    headers: [.idempotencyKeyTest: "h"]
                ).status == .created)
            let payment = try #require(try await box.sandboxPayments.payments().first?.id)
            func status() async throws -> String? {
                try await box.strings("SELECT status FROM payments WHERE id = ?", payment.rawValue).first
            }
            let body = #"{"id":"evt_1","type":"payment.refunded","payment_id":"\#(payment)"}"#
            let now = Int(box.environment.clock.now.timeIntervalSince1970)
            func send(_ signature: String) async throws -> TestResponse {
                try await api.send(
                    .post, "/api/v1/payments/webhook", json: body,
                    headers: [HTTPField.Name("Sandbox-Signature")!: signature])
            }
            let forged = try await send(
                OutboxDispatcher.signature(Data(body.utf8), timestamp: now, secret: "not-the-secret"))
            #expect(forged.status == .unauthorized)
            #expect(try forged.object()["code"] as? String == "invalid_signature")
            #expect(try forged.object()["detail"] as? String == "the Sandbox-Signature header does not match the body")
            let stale = try await send(
                OutboxDispatcher.signature(Data(body.utf8), timestamp: now - 3600, secret: box.paymentWebhookSecret))
            #expect(stale.status == .unauthorized)
            #expect((try stale.object()["detail"] as? String)?.contains("more than 300 s from now") == true)
            #expect(try await status() == "captured")
            let genuine = try await send(
                OutboxDispatcher.signature(Data(body.utf8), timestamp: now, secret: box.paymentWebhookSecret))
            #expect(genuine.status == .ok)
            #expect(try await status() == "refunded")
        }
    }

    @Test func theSandboxSignsAndDeliversItsOwnWebhooksToTheRunningServer() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.live) { client in
            // The test client gives up after 20 s; on a busy two-core machine running the
            // whole suite a checkout has taken longer. This test checks what happens, not how fast.
            let http = RaceClient.make(connections: 1)
            defer { Task { try? await http.shutdown() } }
            let base = "http://127.0.0.1:\(try #require(client.port))"
            func post(_ path: String, _ json: String, token: String? = nil, key: String? = nil) async throws
                -> (Int, [String: Any])
            {
                var request = HTTPClientRequest(url: base + path)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                if let key { request.headers.add(name: "Idempotency-Key", value: key) }
                request.body = .bytes(ByteBuffer(string: json))
                let response = try await http.execute(request, timeout: RaceClient.deadline)
                let body = try await response.body.collect(upTo: 1 << 20)
                let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
                return (Int(response.status.code), object)
            }
            let token = try #require(
                try await post(
                    "/api/v1/auth/register",
                    #"{"email":"dashboard@example.com","password":"correct-horse","name":"dashboard"}"#
                ).1["token"] as? String)
            let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
            let hold = try await post("/api/v1/shows/\(show.id)/holds", #"{"seat_ids":["T2"]}"#, token: token)
            let holdId = try #require(hold.1["hold_id"] as? String)
            let booking = try await post(
                "/api/v1/bookings", #"{"hold_id":"\#(holdId)","payment":{"token":"tok_visa"}}"#, token: token,
                key: "d")
            #expect(booking.0 == 201)
            let payment = try #require(try await box.sandboxPayments.payments().first?.id)
            // A refund made at the provider (its dashboard), not through Marquee: only the webhook can tell us.
            try await box.sandboxPayments.refund(
                payment, amount: Money(amount: 1, currency: "INR"), idempotencyKey: "dashboard-refund")
            var status: String?
            // The provider marks an event delivered only after our answer, so wait for both sides.
            var undelivered = -1
            for _ in 0..<300 {
                status = try await box.strings("SELECT status FROM payments WHERE id = ?", payment.rawValue).first
                undelivered = try await box.sandboxPayments.undeliveredWebhookCount()
                if status == "refunded" && undelivered == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(status == "refunded")
            // Nothing is left waiting at the provider: the capture and the refund were both delivered.
            #expect(undelivered == 0)
        }
    }

    @Test func aWebhookTheReceiverRefusedIsRetriedLater() async throws {
        let clock = ManualTimeSource(TestBoxOffice.start)
        let box = try await TestBoxOffice.make(clock: clock)
        let payment = try await box.sandboxPayments.authorize(
            amount: Money(amount: 500, currency: "INR"), token: "tok_visa", idempotencyKey: "a")
        try await box.sandboxPayments.capture(payment.id, idempotencyKey: "c")
        let sender = SandboxWebhookSender(
            sandbox: box.sandboxPayments, secret: box.paymentWebhookSecret, clock: clock, interval: .seconds(1),
            logger: box.logger)
        // Nobody listens on port 9 (discard): the delivery fails and waits for its backoff.
        sender.deliver(to: "http://127.0.0.1:9/api/v1/payments/webhook")
        #expect(await sender.sendDue() == 0)
        #expect(try await box.sandboxPayments.dueWebhookEvents().isEmpty)
        clock.advance(by: 2)
        let again = try await box.sandboxPayments.dueWebhookEvents()
        #expect(again.map(\.type) == ["payment.captured"])
        #expect(again.first?.attempts == 1)
    }
}
