import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Looks after a connection until its first request head has been read. The
/// WebSocket-capable HTTP/1.1 pipeline decides whether to upgrade on that head,
/// and until then no part of Hummingbird watches the connection: a request that
/// cannot be parsed got no answer and its connection stayed open, a connection
/// that sent nothing (or half a head) was never closed, and a graceful stop
/// waited for it until it gave up. This handler
///
/// - answers a request that cannot be read as HTTP/1.1 with 400 and a problem
///   document naming what was wrong, then closes the connection;
/// - closes the connection when the server starts to stop (nothing was asked yet);
/// - closes it when no complete head has come within `timeout`.
///
/// It removes itself once the head has been read (the pipeline then carries the
/// request on) or the WebSocket upgrade is being decided.
final class FirstRequestGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any
    typealias OutboundOut = HTTPServerResponsePart

    static let name = "marquee.first-request-guard"

    let timeout: TimeAmount
    let logger: Logger
    /// Set when this handler closes the connection.
    let closed: ClosedByGuard
    private var deadline: Scheduled<Void>?
    private var done = false

    init(timeout: TimeAmount, logger: Logger, closed: ClosedByGuard) {
        self.timeout = timeout
        self.logger = logger
        self.closed = closed
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loop = context.eventLoop.assumeIsolated()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = loop.scheduleTask(in: timeout) { [self] in
            guard !done else { return }
            done = true
            closed.set()
            logger.debug("closing a connection that sent no complete request in time")
            bound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Refused: what the upgrade handler still passes on (it replays the head of a
        // failed WebSocket handshake) must not reach the application for a second answer.
        if closed.isSet { return }
        // Whatever reaches this handler comes after the upgrade decision: the
        // first request's head (or, after an upgrade, a frame).
        context.fireChannelRead(data)
        if !done {
            done = true
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !done else { return context.fireErrorCaught(error) }
        done = true
        closed.set()
        let detail: String
        if let error = error as? HTTPParserError {
            detail = "the request is not valid HTTP/1.1 (\(Self.describe(error)))"
        } else if String(describing: type(of: error)).contains("WebSocketUpgradeError") {
            detail = "the WebSocket handshake lacks a header it needs (Sec-WebSocket-Key, Sec-WebSocket-Version: 13)"
        } else {
            // The connection itself failed (reset by the client, say): nobody to answer.
            logger.debug("a connection failed before its first request", metadata: ["error": "\(error)"])
            return context.close(promise: nil)
        }
        logger.info("refused a request that could not be read", metadata: ["problem": "\(detail)"])
        let problem = Problem(.badRequest, code: "malformed_request", detail: detail)
        guard let reply = try? problem.reply() else { return context.close(promise: nil) }
        var headers = HTTPHeaders()
        for field in reply.headers { headers.add(name: field.name.rawName, value: field.value) }
        headers.replaceOrAdd(name: "Content-Length", value: "\(reply.body.readableBytes)")
        headers.replaceOrAdd(name: "Connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(reply.body))), promise: nil)
        // Output first: closing both ways while the client still sends (a body after a
        // bad head) makes the kernel reset the connection, and the 400 may be lost. The
        // rest of the connection goes a moment later (or when the client closes its side).
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            let context = bound.value
            let halfClosed = context.eventLoop.makePromise(of: Void.self)
            context.close(mode: .output, promise: halfClosed)
            halfClosed.futureResult.whenFailure { _ in bound.value.close(promise: nil) }
            context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(2)) { bound.value.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if closed.isSet, let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        userEvent(context: context, event: event)
    }

    private func userEvent(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !done {
            // The server is stopping and this connection has not asked for anything yet.
            done = true
            closed.set()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// "invalid characters in the request target" rather than the parser's case name.
    static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .invalidURL: "the request target has characters that must be percent-encoded"
        case .invalidHeaderToken: "a header has a character it may not have"
        case .invalidContentLength: "Content-Length is not a number"
        case .unexpectedContentLength: "Content-Length is given twice or with Transfer-Encoding"
        case .invalidMethod: "the method is not a method"
        case .invalidVersion: "only HTTP/1.0 and HTTP/1.1 are spoken here"
        case .headerOverflow: "the headers are too large"
        case .invalidChunkSize: "a chunk size is not a number"
        default: "\(error)"
        }
    }
}

/// The HTTP/1.1 server with the WebSocket upgrade, and the `FirstRequestGuard`
/// on every connection.
struct GuardedHTTPChannel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let inner: HTTP1WebSocketUpgradeChannel.Value
        let closed: ClosedByGuard
        var channel: any Channel { inner.channel }
    }

    let inner: HTTP1WebSocketUpgradeChannel
    let firstRequestTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let closed = ClosedByGuard()
            try channel.pipeline.syncOperations.addHandler(
                FirstRequestGuard(timeout: firstRequestTimeout, logger: logger, closed: closed),
                name: FirstRequestGuard.name)
            return Value(inner: value, closed: closed)
        }
    }

    func handle(value: Value, logger: Logger) async {
        var logger = logger
        logger.handler = ClosedByGuard.LogHandler(wrapped: logger.handler, closed: value.closed)
        await inner.handle(value: value.inner, logger: logger)
    }

    /// Called once a WebSocket upgrade is asked for: the guard's work is done.
    static func requestRead(on channel: any Channel) async {
        try? await channel.pipeline.removeHandler(name: FirstRequestGuard.name).get()
    }
}

extension HTTPServerBuilder {
    /// `http1WebSocketUpgrade` with every connection looked after until its first
    /// request head has been read (see `FirstRequestGuard`).
    static func guardedHTTP1WebSocketUpgrade(
        configuration: HTTP1WebSocketUpgradeChannel.Configuration, firstRequestTimeout: TimeAmount,
        shouldUpgrade:
            @escaping @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<
                WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
            >
    ) -> HTTPServerBuilder {
        .init { responder in
            GuardedHTTPChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, configuration: configuration,
                    shouldUpgrade: { request, channel, logger in
                        await GuardedHTTPChannel.requestRead(on: channel)
                        return try await shouldUpgrade(request, channel, logger)
                    }),
                firstRequestTimeout: firstRequestTimeout)
        }
    }
}

/// Whether the `FirstRequestGuard` closed a connection. The upgrade handling
/// then reports the connection's end as an error ("Error handling upgrade
/// result"); that line is logged at debug level instead, as the guard has
/// already logged why it closed the connection.
final class ClosedByGuard: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }

    struct LogHandler: Logging.LogHandler {
        var wrapped: any Logging.LogHandler
        let closed: ClosedByGuard

        func log(event: LogEvent) {
            var event = event
            if event.level == .error, closed.isSet, event.message.description.hasPrefix("Error handling upgrade") {
                guard wrapped.logLevel <= .debug else { return }
                event.level = .debug
            }
            wrapped.log(event: event)
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { wrapped[metadataKey: key] }
            set { wrapped[metadataKey: key] = newValue }
        }
        var metadata: Logger.Metadata {
            get { wrapped.metadata }
            set { wrapped.metadata = newValue }
        }
        var logLevel: Logger.Level {
            get { wrapped.logLevel }
            set { wrapped.logLevel = newValue }
        }
        var metadataProvider: Logger.MetadataProvider? {
            get { wrapped.metadataProvider }
            set { wrapped.metadataProvider = newValue }
        }
    }
}
