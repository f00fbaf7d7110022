import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// CPU time used so far by this process and, where /proc/stat exists, by the
/// whole machine: a benchmark on one machine shows how much of it the load
/// generator itself took.
struct CPUSample {
    /// Seconds of CPU (user and system) this process has used.
    let process: Double
    /// Busy and total CPU seconds of the machine, all cores together; nil where unknown.
    let machine: (busy: Double, total: Double)?
    let taken = ContinuousClock.now

    init() {
        var usage = rusage()
        #if canImport(Glibc)
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        process =
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
        machine = Self.machineTimes()
    }

    /// The first line of /proc/stat: `cpu user nice system idle iowait irq softirq steal …` in ticks.
    private static func machineTimes() -> (busy: Double, total: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return nil }
        let ticks = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard ticks.count >= 5 else { return nil }
        let perSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let idle = ticks[3] + ticks[4]
        let total = ticks.reduce(0, +)
        return ((total - idle) / perSecond, total / perSecond)
    }

    /// How the time since `earlier` was spent, e.g. "machine busy 1.96 of 2 cores; load generator 0.45 of them".
    func summary(since earlier: CPUSample) -> String {
        let seconds = LoadDriver.seconds(taken - earlier.taken)
        guard seconds > 0 else { return "" }
        let own = (process - earlier.process) / seconds
        guard let now = machine, let before = earlier.machine else {
            return String(format: "load generator used %.2f cores", own)
        }
        let cores = (now.total - before.total) / seconds
        let busy = (now.busy - before.busy) / seconds
        return String(format: "machine busy %.2f of %.0f cores, the load generator %.2f of them", busy, cores, own)
    }
}
