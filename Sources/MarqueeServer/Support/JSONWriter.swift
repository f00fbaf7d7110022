import NIOCore

/// Writes compact JSON straight into a buffer, for the few responses on the
/// hot path (holds and problems) where Foundation's encoder was a sixth of the
/// server's time. Keys are written in the order given; callers sort them.
struct JSONWriter {
    private(set) var buffer = ByteBuffer()
    private var needsComma = [false]

    mutating func beginObject() { value { $0.buffer.writeInteger(UInt8(ascii: "{")) }; needsComma.append(false) }
    mutating func endObject() { needsComma.removeLast(); buffer.writeInteger(UInt8(ascii: "}")) }
    mutating func beginArray() { value { $0.buffer.writeInteger(UInt8(ascii: "[")) }; needsComma.append(false) }
    mutating func endArray() { needsComma.removeLast(); buffer.writeInteger(UInt8(ascii: "]")) }

    mutating func key(_ name: String) {
        value { $0.writeString(name) }
        buffer.writeInteger(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    mutating func string(_ text: String) { value { $0.writeString(text) } }
    mutating func int(_ number: some BinaryInteger) { value { $0.buffer.writeString(String(number)) } }

    mutating func field(_ name: String, _ text: String) {
        key(name)
        string(text)
    }

    mutating func field(_ name: String, _ number: some BinaryInteger) {
        key(name)
        int(number)
    }

    mutating func field(_ name: String, strings: [String]) {
        key(name)
        beginArray()
        for text in strings { string(text) }
        endArray()
    }

    private mutating func value(_ write: (inout JSONWriter) -> Void) {
        if needsComma[needsComma.count - 1] { buffer.writeInteger(UInt8(ascii: ",")) }
        write(&self)
        needsComma[needsComma.count - 1] = true
    }

    private mutating func writeString(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        // Ids, codes and times rarely need escaping: copy them in one go.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            buffer.writeString(text)
            buffer.writeInteger(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0xF)])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
