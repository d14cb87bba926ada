// libFuzzer harness: the state reader. The bytes are a stored column as a damaged or
// hand-edited state may hold it: read as inputs/outputs, dependencies, replaceWhen values,
// outputs, an address, through `StateColumns` (what the SQLite and PostgreSQL backends call),
// then every sealed secret in it opened with `SecretCipher`. The sealed-secret opener also gets
// the bytes as a damaged sealed secret, and as the plaintext inside a well-sealed one.
// Run by `scripts/fuzz state`.
import Foundation
import StrataModel
@testable import StrataState

let cipher = SecretCipher(key: Array(repeating: 7, count: 32), previousKeys: [Array(repeating: 9, count: 32)])
let key = InstanceKey(stack: "fuzz", instance: "default")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzState(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    let text = String(decoding: data, as: UTF8.self)
    let columns = StateColumns.sqlite
    if let fields = try? columns.fields(text, "inputs") {
        _ = try? cipher.open(fields)
        _ = try? cipher.open(.map(fields))
    }
    _ = try? columns.addresses(text, "dependencies")
    _ = try? columns.triggers(text, "replaceWhen values")
    _ = try? columns.address(text, in: key)
    _ = try? columns.json([String: ManifestOutput].self, text, "outputs")
    if let intent = try? columns.json([String: Value].self, text, "intent inputs") { _ = try? cipher.open(intent) }
    _ = try? columns.json(ResourceState.self, text, "resource")
    _ = try? columns.json(LockInfo.self, text, "lock")
    // A damaged sealed secret: the bytes as its sealed text, and base64 of them.
    _ = try? cipher.open(.secret(.map([SecretCipher.marker: .string(text)])))
    _ = try? cipher.open(.secret(.map([SecretCipher.marker: .string(data.base64EncodedString())])))
    // A well-sealed secret whose plaintext is the bytes (a key that can open it, and one that cannot).
    if let sealed = try? cipher.encrypt(Array(data)) {
        let value = Value.secret(.map([SecretCipher.marker: .string(Data(sealed).base64EncodedString())]))
        if let opened = try? cipher.open(value) {
            guard case .secret(let inner) = opened, let parsed = try? ValueJSON.parse(data), inner == parsed else {
                fatalError("a sealed secret opened to something else")
            }
        }
        guard (try? SecretCipher(key: Array(repeating: 1, count: 32)).open(value)) == nil else {
            fatalError("a wrong key opened a sealed secret")
        }
    }
    // The key as STRATA_STATE_KEY or the state.key file spells it.
    _ = SecretCipher.keyBytes(from: text)
    _ = SecretCipher.hexBytes(text)
    return 0
}
