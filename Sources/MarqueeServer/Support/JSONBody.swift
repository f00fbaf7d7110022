import Foundation
import Hummingbird
import MarqueeCore

/// The API's JSON conventions: snake_case keys and ISO-8601 UTC times.
enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// A JSON response with the given status.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws
        -> Response
    {
        try reply(value, status: status, headers: headers).response
    }

    static func reply(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws
        -> Reply
    {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Reply(status: status, headers: headers, body: ByteBuffer(data: try encoder.encode(value)))
    }

    /// Decodes a request body, answering malformed JSON, wrong types and missing
    /// fields with a 400 that names the field.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws
        -> T
    {
        try decode(T.self, from: try await request.body.collect(upTo: context.maxUploadSize))
    }

    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer, decoder: JSONDecoder = decoder) throws
        -> T
    {
        guard buffer.readableBytes > 0 else {
            throw Problem(.badRequest, code: "invalid_json", detail: "the request needs a JSON body")
        }
        do {
            return try decoder.decode(T.self, from: buffer)
        } catch let error as DecodingError {
            // Foundation's decoder calls a number that does not fit its field (12.5 for a
            // whole number, or beyond 64 bits) "not valid JSON", with no field: find it.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                let field = unfitNumber(
                    in: buffer,
                    decodes: { data in
                        do {
                            _ = try decoder.decode(T.self, from: data)
                            return true
                        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                            return false
                        } catch {
                            return true  // it gets past that number and fails on something else
                        }
                    })
            {
                throw Problem(
                    .badRequest, code: "invalid_field", detail: "\(field) must be a whole number that fits in 64 bits",
                    extensions: ["field": .string(field)])
            }
            throw problem(for: error)
        } catch {
            throw Problem(.badRequest, code: "invalid_json", detail: "the body is not valid JSON")
        }
    }

    /// The path of the number in a valid JSON body that does not fit its field: of
    /// the numbers that are not whole or not within 64 bits, the first whose
    /// replacement by 0 lets `decodes` get past the failure (an extra field the type
    /// ignores may hold a fraction too); nil if the body is not valid JSON or has none.
    static func unfitNumber(in buffer: ByteBuffer, decodes: (Data) -> Bool = { _ in false }) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer), options: [.fragmentsAllowed])
        else { return nil }
        enum Step {
            case key(String)
            case index(Int)
        }
        var found: [[Step]] = []
        func collect(_ value: Any, _ path: [Step]) {
            switch value {
            case let object as [String: Any]:
                for key in object.keys.sorted() { collect(object[key]!, path + [.key(key)]) }
            case let array as [Any]:
                for (index, element) in array.enumerated() { collect(element, path + [.index(index)]) }
            case let number as NSNumber where !(value is Bool):
                let double = number.doubleValue
                if double.rounded() != double || abs(double) >= 9.2e18 { found.append(path) }
            default: break
            }
        }
        func replacing(_ value: Any, at path: ArraySlice<Step>) -> Any {
            guard let step = path.first else { return 0 }
            switch (step, value) {
            case (.key(let key), var object as [String: Any]):
                object[key] = replacing(object[key]!, at: path.dropFirst())
                return object
            case (.index(let index), var array as [Any]):
                array[index] = replacing(array[index], at: path.dropFirst())
                return array
            default: return value
            }
        }
        func name(_ path: [Step]) -> String {
            guard !path.isEmpty else { return "body" }
            return path.enumerated().map { offset, step in
                switch step {
                case .key(let key): offset == 0 ? key : ".\(key)"
                case .index(let index): "[\(index)]"
                }
            }.joined()
        }
        collect(object, [])
        let culprit = found.first { path in
            guard
                let changed = try? JSONSerialization.data(
                    withJSONObject: replacing(object, at: path[...]), options: [.fragmentsAllowed])
            else { return false }
            return decodes(changed)
        }
        return (culprit ?? found.first).map(name)
    }

    private static func problem(for error: DecodingError) -> Problem {
        func field(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? snakeCase($0.stringValue) }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let name = field(context.codingPath + [key])
            return Problem(
                .badRequest, code: "missing_field", detail: "\(name) is required", extensions: ["field": .string(name)])
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let name = field(context.codingPath)
            if name.isEmpty {
                return Problem(
                    .badRequest, code: "invalid_json", detail: "the body must be a JSON object",
                    extensions: ["field": .string("body")])
            }
            return Problem(
                .badRequest, code: "invalid_field", detail: "\(name) must be \(describe(type))",
                extensions: ["field": .string(name)])
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return Problem(.badRequest, code: "invalid_json", detail: "the body is not valid JSON")
            }
            let name = field(context.codingPath)
            return Problem(
                .badRequest, code: "invalid_field", detail: "\(name): \(context.debugDescription)",
                extensions: ["field": .string(name)])
        @unknown default:
            return Problem(.badRequest, code: "invalid_json", detail: "the body could not be read")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }

    static func snakeCase(_ key: String) -> String {
        var result = ""
        for character in key {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}

extension Request {
    /// A query parameter, nil when absent or empty.
    func query(_ name: String) -> String? {
        guard let value = uri.queryParameters[Substring(name)].map(String.init), !value.isEmpty else { return nil }
        return value
    }
}
