import Foundation
import Testing

@testable import StrataEngine

@Suite struct ScheduleTests {
    static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    static func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    func next(_ cron: String, after: String) throws -> String? {
        let expression = try CronExpression(parsing: cron)
        return expression.next(after: Self.date(after), calendar: Self.utc).map { ISO8601DateFormatter().string(from: $0) }
    }

    @Test func intervalsAsPeopleWriteThem() throws {
        #expect(try DurationText.parse("15m") == .seconds(900))
        #expect(try DurationText.parse("1h30m") == .seconds(5400))
        #expect(try DurationText.parse("1s") == .seconds(1))
        #expect(try DurationText.parse("500ms") == .milliseconds(500))
        #expect(try DurationText.parse("2d") == .seconds(172_800))
        #expect(try DurationText.parse("90") == .seconds(90))
        #expect(try DurationText.parse("1.5m") == .seconds(90))
        #expect(DurationText.format(.seconds(5400)) == "1h30m")
        for bad in ["", "m", "15x", "15", "-3s", "1h-2m"] where bad != "15" {
            #expect(throws: ScheduleError.self) { try DurationText.parse(bad) }
        }
    }

    @Test func aScheduleIsAnIntervalOrACronExpression() throws {
        #expect(try Schedule(parsing: "15m") == .every(.seconds(900)))
        guard case .cron = try Schedule(parsing: "*/5 * * * *") else { Issue.record("not cron"); return }
        guard case .cron = try Schedule(parsing: "@hourly") else { Issue.record("not cron"); return }
        #expect(throws: ScheduleError.self) { try Schedule(parsing: "0s") }
        let start = Self.date("2026-01-01T00:00:00Z")
        #expect(try Schedule(parsing: "15m").next(after: start) == start.addingTimeInterval(900))
    }

    @Test func cronFieldsStepsRangesListsAndNames() throws {
        #expect(try next("*/15 * * * *", after: "2026-03-04T10:07:30Z") == "2026-03-04T10:15:00Z")
        #expect(try next("*/15 * * * *", after: "2026-03-04T10:45:00Z") == "2026-03-04T11:00:00Z", "strictly after")
        #expect(try next("0 3 * * *", after: "2026-03-04T03:00:00Z") == "2026-03-05T03:00:00Z")
        #expect(try next("30 9 * * mon-fri", after: "2026-03-06T10:00:00Z") == "2026-03-09T09:30:00Z", "Friday after 9:30 → Monday")
        #expect(try next("0 0 1 jan,jul *", after: "2026-03-04T00:00:00Z") == "2026-07-01T00:00:00Z")
        #expect(try next("0 12 * * 7", after: "2026-03-04T00:00:00Z") == "2026-03-08T12:00:00Z", "7 is Sunday")
        #expect(try next("5-10/5 * * * *", after: "2026-03-04T10:06:00Z") == "2026-03-04T10:10:00Z")
        #expect(try next("@daily", after: "2026-12-31T23:59:00Z") == "2027-01-01T00:00:00Z")
        #expect(try next("0 0 29 2 *", after: "2026-03-01T00:00:00Z") == "2028-02-29T00:00:00Z", "leap day")
    }

    @Test func bothDayFieldsRestrictedMeansEither() throws {
        // The 13th, or any Friday: from Wed 2026-03-04 the next is Fri 03-06.
        #expect(try next("0 0 13 * fri", after: "2026-03-04T00:00:00Z") == "2026-03-06T00:00:00Z")
    }

    @Test func badCronExpressionsSayWhy() {
        for bad in ["* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *",
                    "5-1 * * * *", "* * * foo *", "@sometimes", "0 0 31 2 *"] {
            #expect(throws: ScheduleError.self, "\(bad)") { try CronExpression(parsing: bad) }
        }
        let message = (try? CronExpression(parsing: "60 * * * *")).map { _ in "" } ?? {
            do { _ = try CronExpression(parsing: "60 * * * *"); return "" } catch { return "\(error)" }
        }()
        #expect(message.contains("minute 60 is outside 0-59"), "\(message)")
    }

    @Test func daemonBackoffGrowsAndIsCapped() {
        #expect(DriftDaemon.backoff(failures: 0, period: 60) == 0)
        #expect(DriftDaemon.backoff(failures: 1, period: 60) == 0)
        #expect(DriftDaemon.backoff(failures: 2, period: 60) == 60)
        #expect(DriftDaemon.backoff(failures: 3, period: 60) == 180)
        #expect(DriftDaemon.backoff(failures: 30, period: 60) == 300)
        #expect(DriftDaemon.backoff(failures: 30, period: 3600) == 3600)
    }
}
