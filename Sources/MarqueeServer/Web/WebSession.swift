import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import MarqueeCore

/// Sessions for web pages: the sign-in token in an HttpOnly, SameSite=Lax
/// cookie, and a double-submit CSRF token (a random cookie that every form
/// and every script call must repeat). The JSON API keeps its bearer tokens;
/// it also accepts the session cookie, but for anything but GET only together
/// with `X-CSRF-Token`.
enum WebSession {
    static let sessionCookie = "marquee_session"
    static let csrfCookie = "marquee_csrf"
    static let cityCookie = "marquee_city"

    static func cookies(_ request: Request) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                cookies[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return cookies
    }

    static func newCSRFToken() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
    }

    /// Constant-time comparison of the token sent with the one in the cookie.
    static func csrfMatches(_ sent: String?, cookie: String?) -> Bool {
        guard let sent, let cookie, !cookie.isEmpty, sent.utf8.count == cookie.utf8.count else { return false }
        return zip(sent.utf8, cookie.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func setCookie(_ name: String, _ value: String, maxAge: Int, httpOnly: Bool = true) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge); SameSite=Lax" + (httpOnly ? "; HttpOnly" : "")
    }

    static func isSafe(_ method: HTTPRequest.Method) -> Bool { method == .get || method == .head }
}

extension HTTPField.Name {
    static let csrfToken = Self("X-CSRF-Token")!
}
