/// A resource whose delete needs the inputs the state holds (a KMS key's deletion window).
/// `AWSProvider.delete` calls this one when a type has it; drift remediation, which has no
/// inputs, gets the type's defaults.
protocol DeletesWithInputs: AWSResource {
    func delete(id: String, inputs: Inputs, in context: ResourceContext) async throws
}
