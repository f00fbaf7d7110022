import Foundation
import Hummingbird
import MarqueeCore

/// Per-request state: who is signed in, and body size limits.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var userId: User.ID?
    /// Why a token that was sent was not accepted, for routes that need a user.
    public var authenticationFailure: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// No API body needs more than this; larger ones get 413 before decoding.
    public var maxUploadSize: Int { 64 * 1024 }

    /// A path parameter with percent-escapes decoded (`x%20y` is `x y`).
    public func pathID(_ name: String) -> String {
        let raw = parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    public func requireUser() throws -> User.ID {
        guard let userId else {
            throw BookingError.unauthenticated(
                authenticationFailure ?? "sign in first: send Authorization: Bearer <token>")
        }
        return userId
    }
}
