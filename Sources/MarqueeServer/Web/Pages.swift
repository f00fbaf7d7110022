import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache

/// The page templates (swift-mustache), loaded once from the bundled
/// `Resources/templates`, and the static files beside them.
struct Pages: Sendable {
    let library: MustacheLibrary
    /// Why the templates are missing, when they are (the instance is then not ready).
    var problem: String?

    static var resources: String {
        Bundle.module.url(forResource: "Resources", withExtension: nil)?.path ?? "Sources/MarqueeServer/Resources"
    }

    /// The pages, or none (each page then says it is missing) with the reason logged.
    static func loadOrReport(logger: Logger) -> Pages {
        do {
            return try load()
        } catch {
            logger.critical(
                "page templates could not be loaded", metadata: ["error": "\(error)", "from": "\(resources)"])
            return Pages(library: MustacheLibrary(), problem: "page templates could not be loaded from \(resources)")
        }
    }

    static func load() throws -> Pages {
        let directory = resources + "/templates"
        var library = MustacheLibrary()
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasSuffix(".mustache") {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            try library.register(text, named: String(file.dropLast(".mustache".count)))
        }
        return Pages(library: library)
    }

    /// Renders `template` inside the layout, with what every page needs (who is signed in, the CSRF token).
    func render(
        _ template: String, title: String, _ values: [String: Any], session: WebContext,
        status: HTTPResponse.Status = .ok,
        headers: HTTPFields = [:]
    ) -> Response {
        var object = values
        object["title"] = title
        object["csrf"] = session.csrf
        object["user"] = session.userName.map { ["name": $0] }
        object["signedIn"] = session.userName != nil
        let html = library.render(object, withTemplate: template) ?? "<!doctype html><p>Page \(template) is missing</p>"
        var headers = headers
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        for cookie in session.setCookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// What a page request knows about its visitor.
struct WebContext: Sendable {
    var userId: String?
    var userName: String?
    var csrf: String
    var setCookies: [String] = []
    var cookies: [String: String]
}
