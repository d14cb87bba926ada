import Foundation

/// When the drift daemon sweeps: every fixed interval (`15m`, `1h30m`, `30s`) or on a 5-field
/// cron expression (`*/15 * * * *`, `0 3 * * mon-fri`, `@hourly`).
public enum Schedule: Sendable, Hashable, CustomStringConvertible {
    case every(Duration)
    case cron(CronExpression)

    /// An interval if the text has no space and does not start with `@`; a cron expression otherwise.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.contains(" ") || trimmed.hasPrefix("@") {
            self = .cron(try CronExpression(parsing: trimmed))
        } else {
            let duration = try DurationText.parse(trimmed)
            guard duration > .zero else { throw ScheduleError.invalid(text, "the interval must be longer than zero") }
            self = .every(duration)
        }
    }

    /// The first time after `date` the schedule fires.
    public func next(after date: Date, calendar: Calendar = CronExpression.defaultCalendar) -> Date {
        switch self {
        case .every(let interval):
            return date.addingTimeInterval(DurationText.seconds(interval))
        case .cron(let expression):
            // Parsing proved it fires at least once in the search window.
            return expression.next(after: date, calendar: calendar) ?? date.addingTimeInterval(86_400)
        }
    }

    public var description: String {
        switch self {
        case .every(let interval): return "every \(DurationText.format(interval))"
        case .cron(let expression): return "cron '\(expression.source)'"
        }
    }
}

public enum ScheduleError: Error, Sendable, CustomStringConvertible, Equatable {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let text, let why):
            return "'\(text)' is not a schedule: \(why). Write an interval (30s, 15m, 1h30m, 2d) or a 5-field cron expression (minute hour day-of-month month day-of-week, e.g. \"*/15 * * * *\")."
        }
    }
}

/// Durations written as people write them: `500ms`, `30s`, `15m`, `1h30m`, `2d`; a bare number is seconds.
public enum DurationText {
    public static func parse(_ text: String) throws -> Duration {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !s.isEmpty else { throw ScheduleError.invalid(text, "it is empty") }
        if let seconds = Double(s) {
            guard seconds >= 0, seconds.isFinite else { throw ScheduleError.invalid(text, "it is negative") }
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        var total: Double = 0
        var index = s.startIndex
        var sawPart = false
        while index < s.endIndex {
            let numberStart = index
            while index < s.endIndex, s[index].isNumber || s[index] == "." { index = s.index(after: index) }
            guard numberStart < index, let number = Double(s[numberStart..<index]) else {
                throw ScheduleError.invalid(text, "expected a number at '\(s[numberStart...])'")
            }
            let unitStart = index
            while index < s.endIndex, s[index].isLetter { index = s.index(after: index) }
            let unit = String(s[unitStart..<index])
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s", "sec": scale = 1
            case "m", "min": scale = 60
            case "h": scale = 3600
            case "d": scale = 86_400
            case "": throw ScheduleError.invalid(text, "'\(number)' needs a unit (ms, s, m, h, d)")
            default: throw ScheduleError.invalid(text, "unknown unit '\(unit)' (use ms, s, m, h, d)")
            }
            total += number * scale
            sawPart = true
        }
        guard sawPart else { throw ScheduleError.invalid(text, "no duration found") }
        return .milliseconds(Int64((total * 1000).rounded()))
    }

    public static func seconds(_ duration: Duration) -> Double {
        let c = duration.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }

    public static func format(_ duration: Duration) -> String {
        let total = seconds(duration)
        if total < 1 { return "\(Int((total * 1000).rounded()))ms" }
        var rest = Int(total.rounded())
        var out = ""
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out.isEmpty ? "0s" : out
    }
}

/// A standard 5-field cron expression: minute (0-59), hour (0-23), day of month (1-31),
/// month (1-12 or jan-dec), day of week (0-7 or sun-sat; 0 and 7 are Sunday).
/// Fields take `*`, numbers, lists `a,b`, ranges `a-b` and steps `*/n`, `a-b/n`, `a/n`. As in
/// cron, when both day fields are restricted a day matches if either does. Also `@yearly`,
/// `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`. Times are the machine's
/// local time zone.
public struct CronExpression: Sendable, Hashable {
    public let source: String
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    /// 0 = Sunday … 6 = Saturday.
    public let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public static var defaultCalendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone.current
        return calendar
    }

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public init(parsing text: String) throws {
        source = text
        var expanded = text.trimmingCharacters(in: .whitespaces).lowercased()
        if expanded.hasPrefix("@") {
            guard let macro = Self.macros[expanded] else {
                throw ScheduleError.invalid(text, "unknown macro (known: \(Self.macros.keys.sorted().joined(separator: ", ")))")
            }
            expanded = macro
        }
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ScheduleError.invalid(text, "a cron expression has 5 fields, this has \(fields.count)")
        }
        minutes = try Self.field(fields[0], "minute", 0...59, names: [], text: text)
        hours = try Self.field(fields[1], "hour", 0...23, names: [], text: text)
        daysOfMonth = try Self.field(fields[2], "day of month", 1...31, names: [], text: text)
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, nameBase: 1, text: text)
        let dow = try Self.field(fields[4], "day of week", 0...7, names: Self.dayNames, text: text)
        daysOfWeek = Set(dow.map { $0 % 7 })
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
        // A day-of-month that no chosen month has (`0 0 31 2 *`) never fires.
        let longest = months.map { [1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31][$0] ?? 31 }.max() ?? 31
        if dayOfMonthRestricted && !dayOfWeekRestricted && (daysOfMonth.min() ?? 1) > longest {
            throw ScheduleError.invalid(text, "no chosen month has day \(daysOfMonth.min() ?? 0), so it never fires")
        }
    }

    private static func field(_ text: String, _ what: String, _ range: ClosedRange<Int>, names: [String], nameBase: Int = 0,
                              text whole: String) throws -> Set<Int> {
        func number(_ s: String) throws -> Int {
            if let n = Int(s) {
                guard range.contains(n) else { throw ScheduleError.invalid(whole, "\(what) \(n) is outside \(range.lowerBound)-\(range.upperBound)") }
                return n
            }
            if let i = names.firstIndex(of: s) { return i + nameBase }
            throw ScheduleError.invalid(whole, "'\(s)' is not a valid \(what)")
        }
        var out = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !part.isEmpty else { throw ScheduleError.invalid(whole, "empty item in the \(what) field") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2 else { throw ScheduleError.invalid(whole, "'\(part)' has more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n > 0 else { throw ScheduleError.invalid(whole, "step '\(pieces[1])' in the \(what) field must be a positive number") }
                step = n
            }
            let base = pieces[0]
            var low: Int, high: Int
            if base == "*" {
                low = range.lowerBound
                high = range.upperBound
            } else if let dash = base.firstIndex(of: "-") {
                low = try number(String(base[..<dash]))
                high = try number(String(base[base.index(after: dash)...]))
                guard low <= high else { throw ScheduleError.invalid(whole, "range '\(base)' in the \(what) field runs backwards") }
            } else {
                low = try number(base)
                high = pieces.count == 2 ? range.upperBound : low
            }
            for value in stride(from: low, through: high, by: step) { out.insert(value) }
        }
        return out
    }

    func matchesDay(_ components: DateComponents) -> Bool {
        guard let day = components.day, let weekday = components.weekday else { return false }
        let domMatch = daysOfMonth.contains(day)
        let dowMatch = daysOfWeek.contains(weekday - 1)
        if dayOfMonthRestricted && dayOfWeekRestricted { return domMatch || dowMatch }
        return domMatch && dowMatch
    }

    /// The first whole minute strictly after `date` that matches; nil if none within 5 years.
    public func next(after date: Date, calendar: Calendar = CronExpression.defaultCalendar) -> Date? {
        // The next whole minute (time zones are offset by whole minutes).
        var candidate = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        let limit = date.addingTimeInterval(5 * 366 * 86_400)
        while candidate < limit {
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: candidate)
            guard let month = c.month, let hour = c.hour, let minute = c.minute else { return nil }
            if !months.contains(month) {
                // First minute of the next month.
                guard let firstOfMonth = calendar.date(from: DateComponents(year: c.year, month: month, day: 1)),
                    let next = calendar.date(byAdding: .month, value: 1, to: firstOfMonth)
                else { return nil }
                candidate = next
                continue
            }
            if !matchesDay(c) {
                guard let midnight = calendar.date(from: DateComponents(year: c.year, month: month, day: c.day)),
                    let next = calendar.date(byAdding: .day, value: 1, to: midnight)
                else { return nil }
                candidate = next
                continue
            }
            if !hours.contains(hour) {
                guard let top = calendar.date(from: DateComponents(year: c.year, month: month, day: c.day, hour: hour)),
                    let next = calendar.date(byAdding: .hour, value: 1, to: top)
                else { return nil }
                candidate = next
                continue
            }
            if !minutes.contains(minute) {
                candidate = candidate.addingTimeInterval(60)
                continue
            }
            return candidate
        }
        return nil
    }
}
