import Strata
import StrataModel

extension AWS {
    /// `aws_efs_file_system`: shared NFS storage, encrypted unless `encrypted: false`.
    /// Encryption, key and performance mode force replacement; throughput and tags change in place.
    public final class EFSFileSystem: Resource {
        public init(_ name: String, encrypted: Bool? = nil, kmsKeyId: Expr<String>? = nil, performanceMode: Expr<String>? = nil,
                    throughputMode: Expr<String>? = nil, provisionedThroughputInMibps: Double? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_efs_file_system", name: name, file: file, line: line)
            if let encrypted { setRawInput("encrypted", .bool(encrypted)) }
            setInput("kmsKeyId", kmsKeyId)
            setInput("performanceMode", performanceMode)
            setInput("throughputMode", throughputMode)
            if let provisionedThroughputInMibps { setRawInput("provisionedThroughputInMibps", .number(provisionedThroughputInMibps)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The file system id.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        public var dnsName: Expr<String> { attribute("dnsName") }
    }

    /// `aws_efs_mount_target`: the file system's endpoint in one subnet; the security groups
    /// change in place.
    public final class EFSMountTarget: Resource {
        public init(_ name: String, fileSystem: EFSFileSystem, subnet: Subnet, securityGroups: [SecurityGroup] = [],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_efs_mount_target", name: name, file: file, line: line)
            setInput("fileSystemId", fileSystem.id)
            setInput("subnetId", subnet.id)
            if !securityGroups.isEmpty { setInput("securityGroups", Expr<[String]>(securityGroups.map(\.id))) }
        }
        /// The mount target id.
        public var id: Expr<String> { attribute("id") }
        public var ipAddress: Expr<String> { attribute("ipAddress") }
    }

    /// `aws_efs_access_point`: an application's entry into a file system as a fixed POSIX user
    /// under a root directory (made with `owner` and `permissions` if missing). Only tags
    /// change in place.
    public final class EFSAccessPoint: Resource {
        public init(_ name: String, fileSystem: EFSFileSystem, uid: Int? = nil, gid: Int? = nil, rootPath: Expr<String>? = nil,
                    owner: (uid: Int, gid: Int)? = nil, permissions: String? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_efs_access_point", name: name, file: file, line: line)
            setInput("fileSystemId", fileSystem.id)
            if let uid { setRawInput("posixUid", .number(Double(uid))) }
            if let gid { setRawInput("posixGid", .number(Double(gid))) }
            setInput("rootPath", rootPath)
            if let owner {
                setRawInput("rootOwnerUid", .number(Double(owner.uid)))
                setRawInput("rootOwnerGid", .number(Double(owner.gid)))
            }
            if let permissions { setRawInput("rootPermissions", .string(permissions)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The access point id.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }
}

extension AWS {
    /// `aws_backup_vault`: where AWS Backup keeps recovery points; only tags change in place.
    public final class BackupVault: Resource {
        public init(_ name: String, vaultName: Expr<String>, kmsKeyArn: Expr<String>? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_backup_vault", name: name, file: file, line: line)
            setInput("name", vaultName)
            setInput("kmsKeyArn", kmsKeyArn)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The name.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_backup_plan`: one rule — a cron schedule into a vault, kept `deleteAfterDays`;
    /// everything changes in place.
    public final class BackupPlan: Resource {
        public init(_ name: String, planName: Expr<String>, vault: BackupVault, ruleName: Expr<String> = "daily",
                    schedule: Expr<String> = "cron(0 5 * * ? *)", deleteAfterDays: Int? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_backup_plan", name: name, file: file, line: line)
            setInput("name", planName)
            setInput("ruleName", ruleName)
            setInput("targetVaultName", vault.id)
            setInput("schedule", schedule)
            if let deleteAfterDays { setRawInput("deleteAfterDays", .number(Double(deleteAfterDays))) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The plan id.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_backup_selection`: the resources a plan backs up — those carrying `tags` (RDS, EFS,
    /// …), through `role`; everything forces replacement.
    public final class BackupSelection: Resource {
        public init(_ name: String, plan: BackupPlan, selectionName: Expr<String>, role: IAMRole, tags: [String: Expr<String>] = [:],
                    resources: [Expr<String>] = [], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_backup_selection", name: name, file: file, line: line)
            setInput("planId", plan.id)
            setInput("name", selectionName)
            setInput("iamRoleArn", role.arn)
            if !tags.isEmpty { setInput("selectionTags", Expr<[String: String]>(tags)) }
            if !resources.isEmpty { setInput("resources", Expr<[String]>(resources)) }
        }
        /// `planId/selectionId`.
        public var id: Expr<String> { attribute("id") }
    }
}

extension AWS {
    /// `aws_s3_bucket_replication`: every new object of `bucket` replicated to `destination`
    /// (usually in another region: declare it `.using(otherRegion)`), through `role`. Both
    /// buckets need `versioning: true`. The role, destination and storage class change in place.
    public final class S3BucketReplication: Resource {
        public init(_ name: String, bucket: S3Bucket, destination: S3Bucket, role: IAMRole, storageClass: Expr<String>? = nil,
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_s3_bucket_replication", name: name, file: file, line: line)
            setInput("bucket", bucket.id)
            // The name (the id) stays known while the destination bucket is updated; the provider makes the ARN.
            setInput("destinationBucket", destination.id)
            setInput("role", role.arn)
            setInput("storageClass", storageClass)
        }
        /// The source bucket's name.
        public var id: Expr<String> { attribute("id") }
    }
}

extension AWS.DBInstance {
    /// A read replica in this resource's region (declare it `.using(otherRegion)`) of an
    /// unencrypted `source` in `sourceRegion`; the provider names the source by ARN. The source
    /// is referred to by its identifier, which stays known while the source is updated.
    public convenience init(_ name: String, identifier: Expr<String>, crossRegionReplicaOf source: AWS.DBInstance, sourceRegion: String,
                            instanceClass: Expr<String>, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        self.init(name, identifier: identifier, replicaOf: source, instanceClass: instanceClass, tags: tags, file: file, line: line)
        setRawInput("replicateSourceRegion", .string(sourceRegion))
    }
}
