import Foundation
import Testing

/// EFS and AWS Backup against moto_server, checked with the `aws` CLI: an encrypted file
/// system with a mount target in a subnet and an access point, a backup vault and plan;
/// in-place changes (tags, the mount target's security groups), a new subnet and root path
/// replacing the mount target and access point, imports, destroy. (moto_server has no
/// UpdateFileSystem, UpdateBackupPlan or backup selections: those are not exercised here.)
@Suite(.serialized) struct AWSStorageTests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let vpc = AWS.VPC("main", cidrBlock: "10.20.0.0/16")
        let subnetA = AWS.Subnet("a", vpc: vpc, cidrBlock: "10.20.1.0/24", availabilityZone: "us-east-1a")
        let subnetB = AWS.Subnet("b", vpc: vpc, cidrBlock: "10.20.2.0/24", availabilityZone: "us-east-1b")
        let nfs = AWS.SecurityGroup("nfs", groupName: "nfs-\(run)", vpc: vpc, description: "nfs", ingress: [.tcp(2049, from: ["10.20.0.0/16"])])
        let other = AWS.SecurityGroup("other", groupName: "other-\(run)", vpc: vpc, description: "other")
        let files = AWS.EFSFileSystem("shared", tags: ["Name": "shared-\(run)", "team": "\(stage)", "backup": "daily"])
        let target = AWS.EFSMountTarget("a", fileSystem: files, subnet: generation == 1 ? subnetA : subnetB,
                                        securityGroups: two ? [nfs, other] : [nfs])
        let point = AWS.EFSAccessPoint("app", fileSystem: files, uid: 1000, gid: 1000, rootPath: "/app\(generation)",
                                       owner: (uid: 1000, gid: 1000), permissions: "0755", tags: ["team": "\(stage)"])
        let vault = AWS.BackupVault("main", vaultName: "vault-\(run)", tags: ["team": "\(stage)"])
        let plan = AWS.BackupPlan("daily", planName: "daily-\(run)", vault: vault, deleteAfterDays: 35, tags: ["team": "\(stage)"])
        Stack.output("fs", files.id)
        Stack.output("target", target.id)
        Stack.output("point", point.id)
        Stack.output("vault", vault.id)
        Stack.output("plan", plan.id)
        Stack.output("nfs", nfs.id)
        Stack.output("other", other.id)
        Stack.output("subnetB", subnetB.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func fileSystemsMountTargetsAccessPointsVaultsAndPlansLiveAndDie() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "s" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSStorage", ["main.swift": Self.stack])
        let one = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("10 created"), "\(apply.output)")
        let out = try cli.outputs(stack, one)
        let fs = try #require(out["fs"]), target = try #require(out["target"]), point = try #require(out["point"])
        let vault = try #require(out["vault"]), plan = try #require(out["plan"])

        func json(_ args: [String]) throws -> Any {
            let result = try cli.aws([args])[0]
            return try awsJSON(result)
        }
        let files = try #require(jsonPath(try json(["efs", "describe-file-systems", "--file-system-id", fs]), "FileSystems", 0) as? [String: Any])
        #expect(files["Encrypted"] as? Bool == true && awsTagMap(files["Tags"])["team"] == "one" && awsTagMap(files["Tags"])["strata:address"] == "aws_efs_file_system.shared", "\(files)")
        #expect(jsonPath(try json(["efs", "describe-mount-targets", "--mount-target-id", target]), "MountTargets", 0, "FileSystemId") as? String == fs)
        #expect(jsonPath(try json(["efs", "describe-mount-target-security-groups", "--mount-target-id", target]), "SecurityGroups") as? [String] == [out["nfs"] ?? ""])
        let access = try #require(jsonPath(try json(["efs", "describe-access-points", "--access-point-id", point]), "AccessPoints", 0) as? [String: Any])
        #expect(jsonPath(access, "RootDirectory", "Path") as? String == "/app1" && jsonPath(access, "PosixUser", "Uid") as? Int == 1000, "\(access)")
        let vaultInfo = try #require(try json(["backup", "describe-backup-vault", "--backup-vault-name", vault]) as? [String: Any])
        let vaultTags = jsonPath(try json(["backup", "list-tags", "--resource-arn", vaultInfo["BackupVaultArn"] as? String ?? ""]), "Tags") as? [String: String] ?? [:]
        #expect(vaultTags["team"] == "one", "\(vaultTags)")
        let planInfo = try #require(try json(["backup", "get-backup-plan", "--backup-plan-id", plan]) as? [String: Any])
        #expect(jsonPath(planInfo, "BackupPlan", "Rules", 0, "TargetBackupVaultName") as? String == vault, "\(planInfo)")
        #expect(jsonPath(planInfo, "BackupPlan", "Rules", 0, "Lifecycle", "DeleteAfterDays") as? Int == 35, "\(planInfo)")
        let settled = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(settled.status == 0, "nothing to change after apply: \(settled.output)")

        for (address, id) in [("aws_efs_file_system.shared", fs), ("aws_efs_mount_target.a", target), ("aws_efs_access_point.app", point),
                              ("aws_backup_vault.main", vault), ("aws_backup_plan.daily", plan)] {
            #expect(try cli.strata.run(["state", "rm", stack, address] + one, environment: cli.env).status == 0)
            let imported = try cli.strata.run(["import", stack, address, id] + one, environment: cli.env)
            #expect(imported.status == 0, "\(imported.output)")
        }
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(afterImport.status == 0, "imported resources plan no change: \(afterImport.output)")

        let two = one + ["--var", "stage=two"]
        let planned = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(planned.stdout) == ["update aws_backup_plan.daily", "update aws_backup_vault.main", "update aws_efs_access_point.app",
                                                "update aws_efs_file_system.shared", "update aws_efs_mount_target.a"], "\(planned.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        let filesTwo = try #require(jsonPath(try json(["efs", "describe-file-systems", "--file-system-id", fs]), "FileSystems", 0) as? [String: Any])
        #expect(awsTagMap(filesTwo["Tags"])["team"] == "two", "\(filesTwo)")
        #expect(Set(jsonPath(try json(["efs", "describe-mount-target-security-groups", "--mount-target-id", target]), "SecurityGroups") as? [String] ?? []) == [out["nfs"] ?? "", out["other"] ?? ""])
        #expect(awsTagMap(jsonPath(try json(["efs", "describe-access-points", "--access-point-id", point]), "AccessPoints", 0, "Tags"))["team"] == "two")
        let afterUpdate = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env)
        #expect(afterUpdate.status == 0, "nothing to change after the update: \(afterUpdate.output)")

        let moved = two + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + moved, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        let after = try cli.outputs(stack, moved)
        let newTarget = try #require(after["target"]), newPoint = try #require(after["point"])
        #expect(newTarget != target && newPoint != point && after["fs"] == fs, "\(after)")
        #expect(jsonPath(try json(["efs", "describe-mount-targets", "--mount-target-id", newTarget]), "MountTargets", 0, "SubnetId") as? String == after["subnetB"])
        #expect(jsonPath(try json(["efs", "describe-access-points", "--access-point-id", newPoint]), "AccessPoints", 0, "RootDirectory", "Path") as? String == "/app2")
        let old = try cli.aws([["efs", "describe-mount-targets", "--mount-target-id", target], ["efs", "describe-access-points", "--access-point-id", point]])
        #expect(old[0].status != 0 && old[1].status != 0, "the old mount target and access point are gone: \(old.map(\.output))")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + moved, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["efs", "describe-file-systems", "--file-system-id", fs], ["backup", "describe-backup-vault", "--backup-vault-name", vault],
                                ["backup", "get-backup-plan", "--backup-plan-id", plan]])
        #expect(gone[0].status != 0 && gone[0].output.contains("FileSystemNotFound"), "gone: \(gone[0].output)")
        #expect(gone[1].status != 0, "gone: \(gone[1].output)")
        #expect(gone[2].status != 0 || gone[2].stdout.contains("DeletionDate"), "gone: \(gone[2].output)")
    }
}
