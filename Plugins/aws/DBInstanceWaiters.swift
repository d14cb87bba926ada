import StrataAWSKit
import StrataModel
import StrataPluginKit

/// The RDS waiters of botocore's `rds/2014-10-31/waiters-2.json`, on StrataAWSKit's Waiter:
/// `DBInstanceAvailable` (every status `available`; `deleted`, `deleting`, `failed`,
/// `incompatible-restore`, `incompatible-parameters` fail) and `DBInstanceDeleted`
/// (`DBInstanceNotFound`; `creating`, `modifying`, `rebooting`,
/// `resetting-master-credentials` fail). botocore polls every 30 s, 60 times; here the first
/// poll is at once and the next ones back off from 2 s to 30 s, so an instance that is
/// already there (moto_server) costs one call.
enum DBInstanceWaiters {
    static let availableFailures: Set<String> = ["deleted", "deleting", "failed", "incompatible-restore", "incompatible-parameters"]
    static let deletedFailures: Set<String> = ["creating", "modifying", "rebooting", "resetting-master-credentials"]
    /// botocore's delay × maxAttempts.
    static let timeout: Double = 30 * 60

    static func waiter(_ what: String) -> Waiter {
        Waiter(what, timeout: timeout, minDelay: 2, maxDelay: 30)
    }

    /// Waits until the instance is `available`; returns its description.
    @discardableResult
    static func available(_ id: String, _ context: ResourceContext) async throws -> XMLTree {
        try await waiter("DB instance \(id) to be available").wait(progress: context.progress.report) { () async throws -> WaitState<XMLTree> in
            guard let instance = try await DBInstanceResource.describe(id, context) else { return .failed("it does not exist") }
            let status = instance.string("DBInstanceStatus") ?? "unknown"
            if status == "available" { return .done(instance) }
            if availableFailures.contains(status) { return .failed("its status is \(status)") }
            return .pending(status)
        }
    }

    /// Waits until DescribeDBInstances no longer knows the instance.
    static func deleted(_ id: String, _ context: ResourceContext) async throws {
        try await waiter("DB instance \(id) to be deleted").wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
            guard let instance = try await DBInstanceResource.describe(id, context) else { return .done(()) }
            let status = instance.string("DBInstanceStatus") ?? "unknown"
            if status == "deleted" { return .done(()) }
            if deletedFailures.contains(status) { return .failed("its status is \(status)") }
            return .pending(status)
        }
    }
}
