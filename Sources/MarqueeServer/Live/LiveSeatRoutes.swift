import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import MarqueeCore
import NIOCore
import ServiceLifecycle

/// Live seat status of a show: a WebSocket at `/api/v1/shows/{id}/live` and,
/// for clients that cannot use one, server-sent events at `/api/v1/shows/{id}/events`.
/// Both start with a snapshot (or what was missed since `?since=VERSION`),
/// then a delta per tick in which the show's seats changed.
struct LiveSeatRoutes {
    let catalog: CatalogService
    let feed: SeatFeed

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("shows/:show_id/live", use: plainRequestForLive)
        group.get("shows/:show_id/events", use: events)
    }

    /// The live route over plain HTTP (no Upgrade header): say how to use it.
    @Sendable func plainRequestForLive(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = context.pathID("show_id")
        guard catalog.snapshot.index.showsById[Show.ID(id)] != nil else { throw BookingError.notFound("show", id) }
        var problem = Problem(
            .upgradeRequired, code: "websocket_required",
            detail: "connect with a WebSocket client, or use /api/v1/shows/\(id)/events for server-sent events")
        problem.headers = [.upgrade: "websocket", .connection: "Upgrade"]
        throw problem
    }

    @Sendable func events(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = Show.ID(context.pathID("show_id"))
        guard catalog.snapshot.index.showsById[id] != nil else { throw BookingError.notFound("show", id.rawValue) }
        let since = try Self.since(request.uri.queryParameters.get("since") ?? request.headers[.lastEventID])
        guard let watch = try await feed.follow(id, since: since) else {
            throw Problem(.serviceUnavailable, code: "shutting_down", detail: "the server is stopping")
        }
        let body = ResponseBody { writer in
            // However the stream ends (client gone, write failed, shutdown), stop feeding it.
            defer { watch.end() }
            // A comment line first, so that proxies and browsers see the stream open at once.
            try await writer.write(ByteBuffer(string: ": seats of \(id)\nretry: 2000\n\n"))
            // Ends when the server stops, so that shutting down does not wait for watchers to leave.
            try await withGracefulShutdownHandler {
                var version = Int64.min
                for await message in watch.messages {
                    if message.kind == .heartbeat {
                        // A comment line: clients ignore it; a client that has gone makes it fail.
                        try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                        continue
                    }
                    guard message.kind == .snapshot || message.version > version else { continue }
                    version = message.version
                    try await writer.write(
                        ByteBuffer(
                            string: "id: \(message.version)\nevent: \(message.kind.rawValue)\ndata: \(message.json)\n\n"
                        ))
                }
            } onGracefulShutdown: {
                watch.end()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream", .cacheControl: "no-store",
                HTTPField.Name("X-Accel-Buffering")!: "no",
            ],
            body: body)
    }

    /// `since` must be a non-negative version number.
    static func since(_ text: String?) throws -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        guard let version = Int64(text), version >= 0 else {
            throw Problem(.badRequest, code: "invalid_since", detail: "since must be a version number (an integer ≥ 0)")
        }
        return version
    }

    /// Decides whether an HTTP/1 request becomes a WebSocket: only `/api/v1/shows/{id}/live` of a known show.
    static func upgrade(catalog: CatalogService, feed: SeatFeed)
        -> @Sendable (HTTPRequest, any NIOCore.Channel, Logger) async throws -> ShouldUpgradeResult<
            WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
        >
    {
        { request, _, _ in
            guard let path = request.path else { return .dontUpgrade }
            let uri = URI(path)
            let parts = uri.path.split(separator: "/")
            guard parts.count == 5, parts[0] == "api", parts[1] == "v1", parts[2] == "shows", parts[4] == "live",
                catalog.snapshot.index.showsById[Show.ID(String(parts[3]))] != nil,
                case .success(let since) = Result(catching: { try since(uri.queryParameters.get("since")) })
            else { return .dontUpgrade }
            let show = Show.ID(String(parts[3]))
            return .upgrade([:]) { inbound, outbound, _ in
                guard let watch = try await feed.follow(show, since: since) else { return }
                // A failed write ends the loop without cancelling it: end the watch so nothing piles up for it.
                defer { watch.end() }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // The client says nothing we need; reading notices when it goes away.
                        for try await _ in inbound {}
                    }
                    group.addTask {
                        try? await cancelWhenGracefulShutdown {
                            var version = Int64.min
                            // WebSocket pings find a client that has gone: heartbeats are for event streams.
                            for await message in watch.messages
                            where message.kind == .snapshot || (message.kind == .delta && message.version > version) {
                                version = message.version
                                try await outbound.write(.text(message.json))
                            }
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        }
    }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
