import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Process {
    /// Waits until the process has ended without holding a thread: the tests run
    /// on a pool of as many threads as cores, and a blocking `waitUntilExit()`
    /// would stall every other test's tasks meanwhile.
    public func ended() async {
        while isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Runs the process so that it cannot outlive the test process: a small shell
    /// loop kills it with SIGKILL once the test process has gone, however it went.
    /// Its standard output and error, when not set, go to /dev/null instead of the
    /// test process's own. (A server left running after a crashed test run keeps
    /// that output open, and `swift test` then waits for it forever.)
    public func runTiedToTests() throws {
        try runTied(to: getpid())
    }

    /// `runTiedToTests()` with another process in the test process's place.
    public func runTied(to parent: pid_t) throws {
        if (standardOutput as? FileHandle) === FileHandle.standardOutput { standardOutput = FileHandle.nullDevice }
        if (standardError as? FileHandle) === FileHandle.standardError { standardError = FileHandle.nullDevice }
        try run()
        let child = processIdentifier
        // The child's start time (field 22 of /proc/PID/stat) tells it from a later
        // process that got its pid after it ended.
        let started = "cut -d' ' -f22 /proc/\(child)/stat 2>/dev/null"
        try Spawn.run(
            [
                "/bin/sh", "-c",
                "start=$(\(started)); "
                    + "while kill -0 \(parent) 2>/dev/null && kill -0 \(child) 2>/dev/null; do sleep 1; done; "
                    + "kill -0 \(parent) 2>/dev/null || { [ -n \"$start\" ] && [ \"$(\(started))\" = \"$start\" ] "
                    + "&& kill -9 \(child) 2>/dev/null; }",
            ], output: "/dev/null")
    }
}

/// Starting a command with posix_spawn, outside Foundation's `Process` (which
/// waits for every process that inherited its descriptors).
public enum Spawn {
    /// Starts `arguments` in a new session, with standard input from /dev/null and
    /// standard output and error appended to `output`; returns its process id
    /// without waiting.
    @discardableResult
    public static func run(_ arguments: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // A session of its own: a signal to the test run's process group (as
        // `timeout` sends) leaves it alone.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        let setSessionID: Int16 = 0x80  // glibc's POSIX_SPAWN_SETSID, not imported (it needs _GNU_SOURCE)
        posix_spawnattr_setflags(&attributes, setSessionID)
        // No other descriptor of the test process: a copy held by a long-lived child
        // keeps a pipe or a Foundation `Process`'s exit socket open, and the one waiting
        // on it (for end of output, or for the process to end) would wait as long.
        closeFrom(3, in: &actions)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard result == 0 else { throw SpawnError(command: arguments[0], code: result) }
        return pid
    }
}

/// Adds to `actions` the closing of every descriptor from `lowest` up, with glibc's
/// `posix_spawn_file_actions_addclosefrom_np` (2.34 on; not imported, as it needs
/// _GNU_SOURCE), or else one close for each descriptor open now.
private func closeFrom(_ lowest: Int32, in actions: inout posix_spawn_file_actions_t) {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
        return
    }
    let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    for fd in open.compactMap(Int32.init) where fd >= lowest {
        posix_spawn_file_actions_addclose(&actions, fd)
    }
}

public struct SpawnError: Error, CustomStringConvertible {
    let command: String
    let code: Int32
    public var description: String { "could not start \(command): error \(code)" }
}
