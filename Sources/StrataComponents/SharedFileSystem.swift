import Strata
import StrataAWS

/// Files every server reads and writes at once (uploads, generated content, a "persistent
/// volume"): an encrypted EFS file system with a mount target in each of a network's private
/// subnets, a security group open on NFS (2049) to the private subnets only, and an access
/// point that puts the application in `rootPath` as a fixed POSIX user. Servers mount it with
/// `mount -t efs <fileSystem.id> /mnt/shared` (amazon-efs-utils) or NFS to `fileSystem.dnsName`.
///
/// ```swift
/// let files = SharedFileSystem(name: "aiwriter-files", network: network)
/// Stack.output("fileSystem", files.fileSystem.id)
/// ```
///
/// Mount targets are keyed by zone (`aws_efs_mount_target.mount["us-east-1a"]`): more zones add
/// targets and touch none of the others. The file system is tagged `backup=<backupTag>` so an
/// AWS Backup selection by tag can take it.
public struct SharedFileSystem: Component {
    public let securityGroup: AWS.SecurityGroup
    public let fileSystem: AWS.EFSFileSystem
    /// The mount targets by zone.
    public let mountTargets: [String: AWS.EFSMountTarget]
    public let accessPoint: AWS.EFSAccessPoint

    /// - Parameters:
    ///   - name: the file system's `Name` tag and the start of the security group's name.
    ///   - network: its private subnets get the mount targets; its private CIDR blocks may mount.
    ///   - throughputMode: `bursting` (grows with the size stored) or `elastic`.
    ///   - rootPath, uid, gid: where the application's access point starts and as whom it writes.
    ///   - backupTag: the value of the file system's `backup` tag.
    public init(_ component: String = "files", name: String, network: ThreeTierNetwork, throughputMode: String = "bursting",
                rootPath: String = "/app", uid: Int = 1000, gid: Int = 1000, backupTag: String = "daily", provider: ProviderRef? = nil,
                tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        if !rootPath.hasPrefix("/") {
            Stack.error("SharedFileSystem \(component): rootPath must start with '/', not '\(rootPath)'", file: file, line: line)
        }
        @discardableResult func place<R: Resource>(_ resource: R) -> R {
            if let provider { resource.using(provider) }
            return resource
        }
        (securityGroup, fileSystem, mountTargets, accessPoint) = Stack.component(component) {
            let group = place(AWS.SecurityGroup(
                "nfs", groupName: Expr("\(name)-nfs"), vpc: network.vpc, description: "NFS to \(name) from the private subnets",
                ingress: [.tcp(2049, from: network.privateCidrBlocks, description: "NFS from the servers")], tags: tags, file: file, line: line))
            let fileSystem = place(AWS.EFSFileSystem(
                "shared", encrypted: true, performanceMode: "generalPurpose", throughputMode: Expr(throughputMode),
                tags: tags.merging(["Name": Expr(name), "backup": Expr(backupTag)]) { _, new in new }, file: file, line: line))
            var targets: [String: AWS.EFSMountTarget] = [:]
            for (zone, subnet) in zip(network.zones, network.privateSubnets) {
                targets[zone] = place(AWS.EFSMountTarget(keyed("mount", zone), fileSystem: fileSystem, subnet: subnet, securityGroups: [group],
                                                         file: file, line: line))
            }
            let point = place(AWS.EFSAccessPoint(
                "app", fileSystem: fileSystem, uid: uid, gid: gid, rootPath: Expr(rootPath), owner: (uid: uid, gid: gid), permissions: "0750",
                tags: tags, file: file, line: line))
            return (group, fileSystem, targets, point)
        }
    }
}
