import Hummingbird
import MarqueeCore
import MarqueeStore

/// The seat map of a show with live status, served from pre-encoded bytes.
struct SeatRoutes {
    let catalog: CatalogService
    let inventory: SeatInventory
    let cache: SeatMapCache
    let clock: any TimeSource

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("shows/:show_id/seats", use: seats)
    }

    @Sendable func seats(_ request: Request, context: AppRequestContext) async throws -> Response {
        let snapshot = catalog.snapshot
        let id = context.pathID("show_id")
        guard let show = snapshot.index.showsById[Show.ID(id)],
            let screen = snapshot.index.screensById[show.screenId],
            let entry = try await cache.entry(for: show, layout: screen.layout, inventory: inventory, now: clock.now)
        else { throw BookingError.notFound("show", id) }
        var headers: HTTPFields = [.eTag: entry.etag, .cacheControl: "no-cache"]
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: {
                $0.trimmingCharacters(in: .whitespaces) == entry.etag || $0.trimmingCharacters(in: .whitespaces) == "*"
            })
        {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: entry.body))
    }
}
