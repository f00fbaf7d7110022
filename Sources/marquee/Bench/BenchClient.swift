import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The load generator's HTTP/1.1 client for the measured requests: keep-alive
/// connections kept idle per instance and reused, one request at a time on each,
/// with the request's bytes written straight through NIO's HTTP codec.
///
/// AsyncHTTPClient (still used for the watcher's event stream)
/// parses the URL, consults its pool's state machine and streams the body through
/// an async sequence on every request; on a 2-core machine shared with the
/// servers under test that took a quarter of the machine, CPU the servers then
/// did not get. This client asks for about half as much per request.
final class BenchClient: Sendable {
    struct Base: Sendable {
        let host: String
        let port: Int
        /// The Host header.
        let authority: String
    }

    let bases: [Base]
    private let idle: Mutex<[[Channel]]>
    private let group: any EventLoopGroup
    private let timeout: TimeAmount

    /// - Parameter bases: `http://host:port` URLs.
    init(bases: [String], group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: TimeAmount)
        throws
    {
        self.bases = try bases.map { text in
            guard let url = URL(string: text), url.scheme == "http", let host = url.host,
                url.path.isEmpty || url.path == "/"
            else { throw BenchError("\(text): the bench speaks plain http://host:port") }
            let port = url.port ?? 80
            return Base(host: host, port: port, authority: url.port.map { "\(host):\($0)" } ?? host)
        }
        idle = Mutex(Array(repeating: [], count: bases.count))
        self.group = group
        self.timeout = timeout
    }

    /// Sends one request to instance `base` and collects the whole response.
    func request(base: Int, _ method: HTTPMethod, _ path: String, token: String?, body: String?) async throws -> (
        Int, ByteBuffer
    ) {
        let target = bases[base]
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: target.authority)
        if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
        var payload: ByteBuffer?
        if let body {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.utf8.count))
            payload = ByteBuffer(string: body)
        } else if method == .POST || method == .PUT {
            head.headers.add(name: "Content-Length", value: "0")
        }
        let channel = try await connection(to: base)
        let promise = channel.eventLoop.makePromise(of: ResponseCollector.Response.self)
        // A connection the server closed just now drops the write before the collector
        // sees it: the answer then fails with the write.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { promise.fail($0) }
        channel.writeAndFlush(ResponseCollector.Request(head: head, body: payload, promise: promise), promise: written)
        let response = try await promise.futureResult.get()
        if response.keepAlive && channel.isActive {
            idle.withLock { $0[base].append(channel) }
        } else {
            channel.close(promise: nil)
        }
        return (response.status, response.body)
    }

    /// Closes every idle connection.
    func close() async {
        let channels = idle.withLock { lists in
            defer { lists = lists.map { _ in [] } }
            return lists.flatMap { $0 }
        }
        for channel in channels { try? await channel.close() }
    }

    private func connection(to base: Int) async throws -> Channel {
        if let channel = idle.withLock({ $0[base].popLast() }), channel.isActive { return channel }
        let target = bases[base]
        let timeout = self.timeout
        return try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(timeout: timeout))
                }
            }
            .connect(host: target.host, port: target.port).get()
    }
}

/// Turns a request (head, body and the promise of its answer) into HTTP parts and
/// the response parts that come back into one answer; one request at a time.
private final class ResponseCollector: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Request
    typealias OutboundOut = HTTPClientRequestPart

    struct Request {
        let head: HTTPRequestHead
        let body: ByteBuffer?
        let promise: EventLoopPromise<Response>
    }

    struct Response {
        let status: Int
        let body: ByteBuffer
        let keepAlive: Bool
    }

    private let timeout: TimeAmount
    private var pending: EventLoopPromise<Response>?
    private var deadline: Scheduled<Void>?
    private var status = 0
    private var keepAlive = true
    private var body = ByteBuffer()

    init(timeout: TimeAmount) { self.timeout = timeout }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard pending == nil else {
            request.promise.fail(BenchError("a second request on a busy connection"))
            return
        }
        pending = request.promise
        body.clear()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let seconds = timeout.nanoseconds / 1_000_000_000
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.fail(BenchError("no answer within \(seconds) s"))
            context.close(promise: nil)
        }
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let payload = request.body { context.write(wrapOutboundOut(.body(.byteBuffer(payload))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            deadline?.cancel()
            deadline = nil
            let promise = pending
            pending = nil
            promise?.succeed(Response(status: status, body: body, keepAlive: keepAlive))
            body = ByteBuffer()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(BenchError("the connection was closed"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(BenchError("the server closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        deadline?.cancel()
        deadline = nil
        let promise = pending
        pending = nil
        promise?.fail(error)
    }
}
