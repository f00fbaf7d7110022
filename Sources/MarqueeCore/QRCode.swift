/// A QR code (ISO/IEC 18004) for ticket codes: byte mode, error correction
/// level M, versions 1-15, mask chosen by the standard's penalty rules.
/// No package on our list makes QR codes, so this is the small subset we need.
public struct QRCode: Sendable {
    /// `modules[y][x]`, true for dark; no quiet zone.
    public let modules: [[Bool]]
    public let version: Int
    public var size: Int { modules.count }

    public enum EncodingError: Error { case tooLong(Int) }

    /// (EC codewords per block, blocks in group 1, data codewords in them, blocks in group 2, data codewords in them).
    private static let levelM: [(Int, Int, Int, Int, Int)] = [
        (10, 1, 16, 0, 0), (16, 1, 28, 0, 0), (26, 1, 44, 0, 0), (18, 2, 32, 0, 0), (24, 2, 43, 0, 0),
        (16, 4, 27, 0, 0), (18, 4, 31, 0, 0), (22, 2, 38, 2, 39), (22, 3, 36, 2, 37), (26, 4, 43, 1, 44),
        (30, 1, 50, 4, 51), (22, 6, 36, 2, 37), (22, 8, 37, 1, 38), (24, 4, 40, 5, 41), (24, 5, 41, 5, 42),
    ]
    private static let alignment: [[Int]] = [
        [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50],
        [6, 30, 54], [6, 32, 58], [6, 34, 62], [6, 26, 46, 66], [6, 26, 48, 70],
    ]

    public init(bytes: [UInt8]) throws(EncodingError) {
        // The smallest version whose data capacity holds mode, count and bytes.
        guard
            let version = (1...15).first(where: { version in
                let (_, b1, d1, b2, d2) = Self.levelM[version - 1]
                return 4 + (version < 10 ? 8 : 16) + bytes.count * 8 <= (b1 * d1 + b2 * d2) * 8
            })
        else { throw .tooLong(bytes.count) }
        self.version = version
        let codewords = Self.codewords(bytes, version: version)
        var best: [[Bool]]?
        var bestPenalty = Int.max
        for mask in 0..<8 {
            var grid = Grid(version: version)
            grid.drawFunctionPatterns()
            grid.drawCodewords(codewords)
            grid.apply(mask: mask)
            grid.drawFormatBits(mask: mask)
            let penalty = grid.penalty()
            if penalty < bestPenalty {
                bestPenalty = penalty
                best = grid.modules
            }
        }
        modules = best!
    }

    // MARK: Data and error correction

    private static func codewords(_ bytes: [UInt8], version: Int) -> [UInt8] {
        let (ecLength, b1, d1, b2, d2) = levelM[version - 1]
        let capacity = b1 * d1 + b2 * d2
        var bits: [Bool] = []
        func append(_ value: Int, _ count: Int) {
            for i in (0..<count).reversed() { bits.append((value >> i) & 1 == 1) }
        }
        append(0b0100, 4)
        append(bytes.count, version < 10 ? 8 : 16)
        for byte in bytes { append(Int(byte), 8) }
        append(0, min(4, capacity * 8 - bits.count))
        while bits.count % 8 != 0 { bits.append(false) }
        var data: [UInt8] = stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(0) { $0 << 1 | ($1 ? 1 : 0) }
        }
        var pad: UInt8 = 0xEC
        while data.count < capacity {
            data.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        var blocks: [[UInt8]] = []
        var offset = 0
        for (count, length) in [(b1, d1), (b2, d2)] {
            for _ in 0..<count {
                blocks.append(Array(data[offset..<offset + length]))
                offset += length
            }
        }
        let generator = ReedSolomon.generator(degree: ecLength)
        let ec = blocks.map { ReedSolomon.remainder($0, generator: generator) }
        var result: [UInt8] = []
        for i in 0..<max(d1, d2) { for block in blocks where i < block.count { result.append(block[i]) } }
        for i in 0..<ecLength { for block in ec { result.append(block[i]) } }
        return result
    }

    private enum ReedSolomon {
        static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
            var z = 0
            for i in (0..<8).reversed() {
                z = (z << 1) ^ ((z >> 7) * 0x11D)
                z ^= ((Int(y) >> i) & 1) * Int(x)
            }
            return UInt8(z & 0xFF)
        }

        static func generator(degree: Int) -> [UInt8] {
            var result = [UInt8](repeating: 0, count: degree)
            result[degree - 1] = 1
            var root: UInt8 = 1
            for _ in 0..<degree {
                for j in 0..<degree {
                    result[j] = multiply(result[j], root)
                    if j + 1 < degree { result[j] ^= result[j + 1] }
                }
                root = multiply(root, 0x02)
            }
            return result
        }

        static func remainder(_ data: [UInt8], generator: [UInt8]) -> [UInt8] {
            var result = [UInt8](repeating: 0, count: generator.count)
            for byte in data {
                let factor = byte ^ result.removeFirst()
                result.append(0)
                for i in 0..<result.count { result[i] ^= multiply(generator[i], factor) }
            }
            return result
        }
    }

    // MARK: The grid

    private struct Grid {
        let version: Int
        let size: Int
        var modules: [[Bool]]
        var isFunction: [[Bool]]

        init(version: Int) {
            self.version = version
            size = version * 4 + 17
            modules = Array(repeating: Array(repeating: false, count: size), count: size)
            isFunction = modules
        }

        mutating func set(_ x: Int, _ y: Int, _ dark: Bool) {
            modules[y][x] = dark
            isFunction[y][x] = true
        }

        mutating func drawFunctionPatterns() {
            for i in 0..<size {
                set(6, i, i % 2 == 0)
                set(i, 6, i % 2 == 0)
            }
            for (x, y) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                for dy in -4...4 {
                    for dx in -4...4 {
                        let distance = max(abs(dx), abs(dy))
                        let (xx, yy) = (x + dx, y + dy)
                        if (0..<size).contains(xx) && (0..<size).contains(yy) {
                            set(xx, yy, distance != 2 && distance != 4)
                        }
                    }
                }
            }
            let positions = QRCode.alignment[version - 1]
            for (i, x) in positions.enumerated() {
                for (j, y) in positions.enumerated() {
                    let corner =
                        (i == 0 && j == 0) || (i == 0 && j == positions.count - 1)
                        || (i == positions.count - 1 && j == 0)
                    if corner { continue }
                    for dy in -2...2 { for dx in -2...2 { set(x + dx, y + dy, max(abs(dx), abs(dy)) != 1) } }
                }
            }
            drawFormatBits(mask: 0)  // reserves the area; redrawn after masking
            if version >= 7 {
                var remainder = version
                for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
                let bits = version << 12 | remainder
                for i in 0..<18 {
                    let dark = (bits >> i) & 1 == 1
                    let a = size - 11 + i % 3
                    let b = i / 3
                    set(a, b, dark)
                    set(b, a, dark)
                }
            }
        }

        mutating func drawFormatBits(mask: Int) {
            let data = 0 << 3 | mask  // level M is 00
            var remainder = data
            for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
            let bits = (data << 10 | remainder) ^ 0x5412
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
            for i in 0...5 { set(8, i, bit(i)) }
            set(8, 7, bit(6))
            set(8, 8, bit(7))
            set(7, 8, bit(8))
            for i in 9..<15 { set(14 - i, 8, bit(i)) }
            for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
            for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
            set(8, size - 8, true)
        }

        mutating func drawCodewords(_ data: [UInt8]) {
            var i = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                for vertical in 0..<size {
                    for j in 0..<2 {
                        let x = right - j
                        let upward = (right + 1) & 2 == 0
                        let y = upward ? size - 1 - vertical : vertical
                        if !isFunction[y][x] && i < data.count * 8 {
                            modules[y][x] = (data[i >> 3] >> (7 - (i & 7))) & 1 == 1
                            i += 1
                        }
                    }
                }
                right -= 2
            }
        }

        mutating func apply(mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !isFunction[y][x] {
                    let invert: Bool
                    switch mask {
                    case 0: invert = (x + y) % 2 == 0
                    case 1: invert = y % 2 == 0
                    case 2: invert = x % 3 == 0
                    case 3: invert = (x + y) % 3 == 0
                    case 4: invert = (x / 3 + y / 2) % 2 == 0
                    case 5: invert = x * y % 2 + x * y % 3 == 0
                    case 6: invert = (x * y % 2 + x * y % 3) % 2 == 0
                    default: invert = ((x + y) % 2 + x * y % 3) % 2 == 0
                    }
                    if invert { modules[y][x].toggle() }
                }
            }
        }

        /// Runs of five or more, 2x2 blocks and imbalance of dark and light (rules 1, 2 and 4).
        func penalty() -> Int {
            var score = 0
            for line in 0..<size {
                var runRow = 1
                var runColumn = 1
                for i in 1..<size {
                    if modules[line][i] == modules[line][i - 1] { runRow += 1 } else { runRow = 1 }
                    if runRow == 5 { score += 3 } else if runRow > 5 { score += 1 }
                    if modules[i][line] == modules[i - 1][line] { runColumn += 1 } else { runColumn = 1 }
                    if runColumn == 5 { score += 3 } else if runColumn > 5 { score += 1 }
                }
            }
            for y in 0..<size - 1 {
                for x in 0..<size - 1 {
                    let c = modules[y][x]
                    if c == modules[y][x + 1] && c == modules[y + 1][x] && c == modules[y + 1][x + 1] { score += 3 }
                }
            }
            let dark = modules.reduce(0) { $0 + $1.filter { $0 }.count }
            let total = size * size
            score += (abs(dark * 20 - total * 10) + total - 1) / total * 10
            return score
        }
    }
}

extension QRCode {
    /// The code as an SVG image: one path of dark squares and a four-module quiet zone.
    public func svg(moduleSize: Int = 8) -> String {
        let side = (size + 8) * moduleSize
        var path = ""
        for (y, row) in modules.enumerated() {
            for (x, dark) in row.enumerated() where dark {
                path += "M\((x + 4) * moduleSize) \((y + 4) * moduleSize)h\(moduleSize)v\(moduleSize)h-\(moduleSize)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(side)" height="\(side)" viewBox="0 0 \(side) \(side)" \
            shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#ffffff"/>\
            <path fill="#000000" d="\(path)"/></svg>
            """
    }
}
