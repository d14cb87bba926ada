// The torture test's stack (scripts/torture, Tests/EndToEndTests/TortureTests.swift): `size`
// resources (default 300), a tenth of them `random` (ids, UUIDs, passwords), the rest `test`
// resources in layers of 30 that each take one or two ids of the layer before, with
// latencies spread over 0–59 ms and a `failureRate` share of their calls failing.
//
// Variables move the stack between applies: `generation` changes a third of the values
// (updates in place), `round` replaces the last layer's every third resource, a create-before-
// destroy resource in the middle layer every tenth, and a fifth of the random ids (whose
// dependents are updated). Everything is a function of the variables: the same variables give
// the same stack, so a converged instance plans no change.
import Strata
import StrataRandom
import StrataTestProvider

let size = Stack.variable("size", default: 300)
let generation = Stack.variable("generation", default: 0)
let round = Stack.variable("round", default: 0)
let failureRate = Double(Stack.variable("failureRate", default: "0.05")) ?? 0.05

/// A fixed scramble of (a, b): the stack's "random" choices, the same on every run.
func scramble(_ a: Int, _ b: Int) -> Int {
    var x = UInt64(a &* 7919 &+ b &* 104_729 &+ 17)
    x ^= x >> 13
    x = x &* 0x9E37_79B9_7F4A_7C15
    x ^= x >> 29
    return Int(x % 1_000_003)
}

let randoms = max(3, size / 10)
let width = 30
var ids: [RandomID] = []
var passwords: [RandomPassword] = []
for i in 0..<randoms {
    switch i % 3 {
    case 0:
        let keepers: [String: Expr<String>] = i % 5 == 0 ? ["round": "\(round)"] : [:]
        ids.append(RandomID("id_\(i)", byteLength: 6, keepers: keepers).createBeforeDestroy(i % 5 == 0))
    case 1:
        _ = RandomUUID("uuid_\(i)")
    default:
        passwords.append(RandomPassword("password_\(i)", length: 16))
    }
}

var previous: [TestResource] = []
var made = randoms
var layer = 0
while made < size {
    var current: [TestResource] = []
    let count = min(width, size - made)
    let last = made + count >= size
    for i in 0..<count {
        var inputs: [Expr<String>]
        if layer == 0 {
            inputs = [ids[i % ids.count].hex]
        } else {
            let a = scramble(layer, i) % previous.count
            let b = scramble(i, layer) % previous.count
            inputs = a == b ? [previous[a].id] : [previous[a].id, previous[b].id]
        }
        let value: Expr<String> = (i + layer) % 3 == 0 ? "g\(generation)-\(layer)-\(i)" : "s-\(layer)-\(i)"
        let resource = TestResource("l\(layer)_\(i)", value: value, inputs: inputs, latencyMs: scramble(layer * 31, i) % 60)
        resource.failureRate = Expr(failureRate)
        if layer == 1 && i % 5 == 0 && !passwords.isEmpty { resource.secret = passwords[i % passwords.count].result }
        if last && i % 3 == 0 { resource.replaceKey = "r\(round)" }
        if layer == 4 && i % 10 == 0 {
            resource.replaceKey = "r\(round)"
            _ = resource.createBeforeDestroy()
        }
        current.append(resource)
    }
    made += count
    previous = current
    layer += 1
}
