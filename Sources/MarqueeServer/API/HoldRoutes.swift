import Foundation
import Hummingbird
import MarqueeCore
import MarqueeStore

/// All-or-nothing seat holds with a time limit.
struct HoldRoutes {
    let catalog: CatalogService
    let inventory: SeatInventory
    let clock: any TimeSource
    let idempotency: Idempotency

    struct HoldRequest: Decodable {
        let seatIds: [String]

        enum CodingKeys: String, CodingKey {
            case seatIds = "seat_ids"
        }

        /// Decoded without key conversion: the request is on the hot path and has one key.
        static let decoder = JSONDecoder()
    }

    /// A hold as the API shows it; written by hand because it is on the hot path.
    struct HoldBody {
        let holdId: String
        let showId: String
        let status: String
        let seatIds: [String]
        let seats: [Hold.Line]
        let total: Money
        let createdAt: Date
        let expiresAt: Date

        init(_ hold: Hold, now: Date) {
            holdId = hold.id.rawValue
            showId = hold.showId.rawValue
            status = hold.status(at: now).rawValue
            seatIds = hold.seatIds.map(\.rawValue)
            seats = hold.seats
            total = hold.total
            createdAt = hold.createdAt
            expiresAt = hold.expiresAt
        }

        func reply(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Reply {
            var json = JSONWriter()
            json.beginObject()
            json.field("created_at", Self.timestamp(createdAt))
            json.field("expires_at", Self.timestamp(expiresAt))
            json.field("hold_id", holdId)
            json.field("seat_ids", strings: seatIds)
            json.key("seats")
            json.beginArray()
            for line in seats {
                json.beginObject()
                json.field("category", line.category.rawValue)
                json.field("id", line.id.rawValue)
                json.key("price")
                Self.money(line.price, into: &json)
                json.endObject()
            }
            json.endArray()
            json.field("show_id", showId)
            json.field("status", self.status)
            json.key("total")
            Self.money(total, into: &json)
            json.endObject()
            var headers = headers
            headers[.contentType] = "application/json; charset=utf-8"
            return Reply(status: status, headers: headers, body: json.buffer)
        }

        static func money(_ money: Money, into json: inout JSONWriter) {
            json.beginObject()
            json.field("amount", money.amount)
            json.field("currency", money.currency)
            json.endObject()
        }

        /// ISO-8601 in UTC to the second, as the JSON encoder writes dates.
        static func timestamp(_ date: Date) -> String {
            Date.ISO8601FormatStyle(timeZone: .gmt).format(date)
        }
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("shows/:show_id/holds", use: create)
        group.get("holds/:hold_id", use: get)
        group.delete("holds/:hold_id", use: release)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let snapshot = catalog.snapshot
        let id = context.pathID("show_id")
        guard let show = snapshot.index.showsById[Show.ID(id)],
            let screen = snapshot.index.screensById[show.screenId],
            let index = snapshot.seatIndexes[show.screenId]
        else { throw BookingError.notFound("show", id) }
        return try await idempotency.run(request, context: context, user: user) { buffer in
            let body = try APIJSON.decode(HoldRequest.self, from: buffer, decoder: HoldRequest.decoder)
            let seatIds = body.seatIds.map { Seat.ID($0.trimmingCharacters(in: .whitespaces).uppercased()) }
            let hold = try await inventory.hold(
                seatIds: seatIds, of: show, layout: screen.layout, index: index, for: user)
            return HoldBody(hold, now: clock.now).reply(
                status: .created, headers: [.location: "/api/v1/holds/\(hold.id)"])
        }.response
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let id = context.pathID("hold_id")
        // Someone else's hold is answered exactly like one that does not exist.
        guard let hold = try await inventory.hold(Hold.ID(id)), hold.userId == user else {
            throw BookingError.notFound("hold", id)
        }
        return HoldBody(hold, now: clock.now).reply().response
    }

    @Sendable func release(_ request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let id = context.pathID("hold_id")
        let hold = try await inventory.release(Hold.ID(id), by: user)
        return HoldBody(hold, now: clock.now).reply().response
    }
}
