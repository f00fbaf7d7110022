import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
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
                try await box.database.pool.read { db in
                    try String.fetchOne(
                        db, sql: "SELECT status FROM payments WHERE id = ?", arguments: [payment.rawValue])
                }
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
            let stale = try await send(
                OutboxDispatcher.signature(Data(body.utf8), timestamp: now - 3600, secret: box.paymentWebhookSecret))
            #expect(stale.status == .unauthorized)
            #expect(try await status() == "captured")
            let genuine = try await send(
                OutboxDispatcher.signature(Data(body.utf8), timestamp: now, secret: box.paymentWebhookSecret))
            #expect(genuine.status == .ok)
            #expect(try await status() == "refunded")
        }
    }
}
