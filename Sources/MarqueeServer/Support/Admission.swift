import DequeModule
import Hummingbird
import Synchronization

/// Hot-sale protection for one instance: at most `capacity` requests are worked
/// on at once, and the rest wait their turn in the order they came. A request
/// that would have to wait behind `queueLimit` others is turned away at once
/// (503 with Retry-After) instead of joining a wait it would likely not outlast.
///
/// On a saturated machine this keeps the work under way small: a request that
/// waits for the database resumes behind a few dozen others, not behind every
/// request the instance has read, so the slowest answers come sooner.
final class AdmissionGate: Sendable {
    let capacity: Int
    let queueLimit: Int

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var working = 0
        var waiting = Deque<Waiter>()
        var turnedAway = 0
    }

    private let state = Mutex(State())
    private let ids = Atomic<UInt64>(0)

    init(capacity: Int, queueLimit: Int) {
        precondition(capacity > 0 && queueLimit >= 0)
        self.capacity = capacity
        self.queueLimit = queueLimit
    }

    /// Requests being worked on, requests waiting, and requests turned away since start.
    var counts: (working: Int, waiting: Int, turnedAway: Int) {
        state.withLock { ($0.working, $0.waiting.count, $0.turnedAway) }
    }

    /// Waits for a turn; false if the queue was full (or the task was cancelled while waiting).
    /// Every true must be matched by one `leave()`.
    func enter() async -> Bool {
        // Most requests find a free turn: no suspension (a continuation would cost each
        // request one more wait in the executor's queue on a busy machine).
        let now: Bool? = state.withLock { state in
            if state.working < capacity {
                state.working += 1
                return true
            }
            if state.waiting.count >= queueLimit {
                state.turnedAway += 1
                return false
            }
            return nil
        }
        if let now { return now }
        let id = ids.wrappingAdd(1, ordering: .relaxed).newValue
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now: Bool? = state.withLock { state in
                    if state.working < capacity {
                        state.working += 1
                        return true
                    }
                    // Checked under the lock that the cancellation handler takes too: either it
                    // finds this waiter in the queue, or the waiter never joins it.
                    if state.waiting.count >= queueLimit || Task.isCancelled {
                        state.turnedAway += 1
                        return false
                    }
                    state.waiting.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index)
            }
            waiter?.continuation.resume(returning: false)
        }
    }

    /// Ends a turn: the first waiter, if any, takes it over.
    func leave() {
        let next = state.withLock { state -> Waiter? in
            if let next = state.waiting.popFirst() { return next }
            state.working -= 1
            return nil
        }
        next?.continuation.resume(returning: true)
    }
}

/// Puts every request through the gate except health checks (a load balancer
/// must hear from a busy instance) and live streams (they stay open for as long
/// as someone watches, and cost nothing while quiet). A request's body is read
/// before it takes a turn, so a client that sends its body slowly (or never
/// finishes it) holds a connection, not one of the turns.
struct AdmissionMiddleware<Context: RequestContext>: RouterMiddleware {
    let gate: AdmissionGate

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if Self.exempt(request.uri.path) { return try await next(request, context) }
        var request = request
        if Self.hasBody(request) { _ = try await request.collectBody(upTo: context.maxUploadSize) }
        guard await gate.enter() else {
            var problem = Problem(
                .serviceUnavailable, code: "server_busy",
                detail:
                    "this server is at capacity (\(gate.capacity) requests under way, \(gate.queueLimit) waiting); try again in a second"
            )
            problem.headers[.retryAfter] = "1"
            throw problem
        }
        defer { gate.leave() }
        return try await next(request, context)
    }

    static func hasBody(_ request: Request) -> Bool {
        if let length = request.headers[.contentLength] { return length != "0" }
        return request.headers[.transferEncoding] != nil
    }

    /// Health checks and metrics scrapes (an overloaded instance must still say so), and live streams.
    static func exempt(_ path: String) -> Bool {
        path.hasPrefix("/health/") || path == "/metrics"
            || (path.hasPrefix("/api/v1/shows/") && path.hasSuffix("/events"))
    }
}
