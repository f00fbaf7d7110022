import Hummingbird
import MarqueeCore

/// Per-request state: who is signed in, and body size limits.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var userId: User.ID?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// No API body needs more than this; larger ones get 413 before decoding.
    public var maxUploadSize: Int { 64 * 1024 }

    public func requireUser() throws -> User.ID {
        guard let userId else {
            throw BookingError.unauthenticated("sign in first: send Authorization: Bearer <token>")
        }
        return userId
    }
}
