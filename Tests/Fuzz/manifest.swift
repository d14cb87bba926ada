// libFuzzer harness: the manifest reader (`StrataJSON.decode(Manifest.self, …)`, as the stack
// loader reads a stack program's output) and the fast `ValueJSON` parser under it, plus the
// address and reference parsers a manifest's text goes through. Run by `scripts/fuzz manifest`.
import Foundation
import StrataModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    if let value = try? ValueJSON.parse(data) {
        // What the parser reads, the writer writes so that it reads back the same.
        let written = ValueJSON.data(value)
        guard let again = try? ValueJSON.parse(written) else {
            fatalError("ValueJSON wrote what it cannot read: \(String(decoding: written, as: UTF8.self))")
        }
        guard ValueJSON.data(again) == written else {
            fatalError("ValueJSON round trip changed \(String(decoding: written, as: UTF8.self))")
        }
        _ = value.rendered()
        _ = value.references
        _ = value.isKnown
        _ = value.containsSecret
        _ = value.revealed
        // The stack loader reads `StrataJSON.decode(Manifest.self, from:)`: this parse, then this.
        if let manifest = try? ValueDecoding.decode(Manifest.self, from: value) {
            for resource in manifest.resources + manifest.dataSources {
                _ = resource.dependencies
                _ = resource.providerKey
                _ = resource.address.stackReferenceTarget
                _ = resource.address.description
            }
            _ = manifest.diagnostics.map(\.description)
            _ = manifest.providers.map(\.key)
            _ = try? StrataJSON.encode(manifest)
        }
        _ = try? ValueDecoding.decode(ProviderSchema.self, from: value)
    }
    // Addresses and references, as the manifest and the command line spell them.
    let text = String(decoding: data, as: UTF8.self)
    if let address = ResourceAddress(parsing: text) {
        guard ResourceAddress(parsing: address.description) == address else {
            fatalError("address round trip changed \(text)")
        }
        _ = address.stackReferenceTarget
        _ = address.provider
    }
    if let reference = Reference(parsing: text) {
        guard Reference(parsing: reference.description) == reference else { fatalError("reference round trip changed \(text)") }
    }
    return 0
}
