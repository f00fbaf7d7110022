import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import MarqueeCore
import MarqueeStore

/// Runs a creating request at most once per `Idempotency-Key` and buyer: a retry
/// with the same key and body gets the first answer, whatever it was.
struct Idempotency: Sendable {
    let store: any IdempotencyStore
    let clock: any TimeSource
    /// A claim older than this with no answer belonged to a server that died mid-way.
    var abandonAfter: TimeInterval = 60

    /// Calls `work` with the collected body, or replays the stored answer.
    func run(
        _ request: Request, context: AppRequestContext, user: User.ID,
        _ work: (ByteBuffer) async throws -> Reply
    ) async throws -> Reply {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard let key = request.headers[.idempotencyKey] else { return try await work(body) }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw Problem(
                .badRequest, code: "invalid_idempotency_key",
                detail: "Idempotency-Key must be 1-255 visible ASCII characters",
                extensions: ["field": .string("Idempotency-Key")])
        }
        var hasher = SHA256()
        hasher.update(data: Data("\(request.method) \(request.uri.path)\n".utf8))
        hasher.update(data: Self.canonical(body))
        let fingerprint = hasher.finalize().map { String(format: "%02x", $0) }.joined()

        switch try await store.claim(
            user: user, key: key, fingerprint: fingerprint, now: clock.now, abandonAfter: abandonAfter)
        {
        case .mismatch:
            throw Problem(
                .unprocessableContent, code: "idempotency_key_reused",
                detail: "this Idempotency-Key was used with a different request; use a new key")
        case .inFlight:
            var problem = Problem(
                .conflict, code: "idempotency_key_in_use",
                detail: "a request with this Idempotency-Key is still running; retry shortly")
            problem.headers[.retryAfter] = "1"
            throw problem
        case .replay(let stored):
            var headers = HTTPFields()
            for (name, value) in stored.headers {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
            headers[.idempotentReplayed] = "true"
            return Reply(status: .init(code: stored.status), headers: headers, body: ByteBuffer(data: stored.body))
        case .claimed:
            let reply: Reply
            do {
                reply = try await work(body)
            } catch let error as BookingError {
                // A refusal is the answer too: a retry must not win seats freed meanwhile.
                reply = try error.problem.reply()
            } catch let problem as Problem where problem.status.code < 500 {
                reply = try problem.reply()
            } catch {
                try? await store.abandon(user: user, key: key)
                throw error
            }
            var headers: [String: String] = [:]
            for field in reply.headers { headers[field.name.canonicalName] = field.value }
            try await store.complete(
                user: user, key: key,
                response: StoredResponse(
                    status: Int(reply.status.code), headers: headers, body: Data(buffer: reply.body)))
            return reply
        }
    }
}

extension Idempotency {
    /// The body with insignificant whitespace and key order removed, so a client
    /// that re-serializes its JSON on retry is still recognised.
    static func canonical(_ body: ByteBuffer) -> Data {
        let data = Data(buffer: body)
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            let canonical = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])
        else { return data }
        return canonical
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
