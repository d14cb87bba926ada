// libFuzzer harness: the plan-file reader (`Plan.decode`, what `strata apply FILE` and
// `strata show FILE` read), without a key and with one (sealed variables and secrets).
// Compiled together with Sources/StrataEngine/Plan.swift. Run by `scripts/fuzz plan`.
import Foundation
import StrataModel
import StrataState

let cipher = SecretCipher(key: Array(repeating: 7, count: 32))
/// `FUZZ_DEBUG=1 scripts/fuzz plan --reproduce FILE` says why a file is refused.
let debug = ProcessInfo.processInfo.environment["FUZZ_DEBUG"] != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPlan(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    for key in [nil, cipher] {
        do {
            let plan = try Plan.decode(data, cipher: key, source: "fuzz.plan")
            _ = plan.changeCount
            for action in StepAction.allCases { _ = plan.count(action) }
            for step in plan.steps {
                _ = step.type
                _ = step.desired?.dependencies
                _ = step.changes.map { ($0.before?.rendered(), $0.after?.rendered()) }
            }
            _ = try? ValueEncoding.data(plan)
        } catch let error as PlanError {
            if debug { print(key == nil ? "plain:" : "keyed:", error) }
            _ = error.description
        } catch {
            fatalError("Plan.decode threw something other than a PlanError: \(error)")
        }
    }
    return 0
}
