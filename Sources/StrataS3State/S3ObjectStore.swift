import Foundation
import StrataAWSKit
import StrataState

/// The few S3 calls the state backend makes, on one bucket, through `AWSClient` (SigV4, the
/// credential chain, retries of throttling and 5xx): get, conditional put, delete, list.
/// Failures come back as `StateError`s that say what to do (a missing bucket, refused
/// credentials, an unreachable endpoint); a failed condition as `S3ObjectStore.Conflict`.
struct S3ObjectStore: Sendable {
    let client: AWSClient
    let bucket: String
    /// For messages: `s3://bucket/prefix`.
    let location: String

    /// An object's bytes and the ETag they were read at.
    struct Object: Sendable {
        var data: Data
        var etag: String
    }

    /// When a put may happen.
    enum Condition: Sendable, Hashable {
        /// Whatever is there.
        case always
        /// Only if no object has the key (`If-None-Match: *`).
        case absent
        /// Only if the object is still the one with this ETag (`If-Match`).
        case matches(String)
    }

    /// The condition of a put or delete did not hold: someone else wrote (or removed) the
    /// object since it was read. Callers re-read, or turn this into a message.
    struct Conflict: Error, Sendable, CustomStringConvertible {
        var key: String
        var description: String { "the object \(key) changed since it was read" }
    }

    func get(_ key: String) async throws -> Object? {
        do {
            let response = try await client.restObject(method: "GET", bucket: bucket, key: segments(key), operation: "GetObject")
            return Object(data: response.body, etag: response.headers["etag"] ?? "")
        } catch let error as AWSError where error.code == "NoSuchKey" || (error.status == 404 && error.code != "NoSuchBucket") {
            return nil
        } catch {
            throw describe(error, "reading \(key)")
        }
    }

    /// Writes `data` if `condition` holds; returns the new ETag.
    @discardableResult
    func put(_ key: String, _ data: Data, _ condition: Condition = .always, metadata: [String: String] = [:],
             contentType: String = "application/json") async throws -> String {
        var headers = ["Content-Type": contentType]
        for (name, value) in metadata { headers["x-amz-meta-\(name)"] = value }
        switch condition {
        case .always: break
        case .absent: headers["If-None-Match"] = "*"
        case .matches(let etag): headers["If-Match"] = etag
        }
        do {
            let response = try await client.restObject(
                method: "PUT", bucket: bucket, key: segments(key), headers: headers, body: data, operation: "PutObject")
            return response.headers["etag"] ?? ""
        } catch let error as AWSError where condition != .always && Self.isConflict(error) {
            throw Conflict(key: key)
        } catch {
            throw describe(error, "writing \(key)")
        }
    }

    /// Deletes the object (if it is still the one with `etag`, when given). Deleting a key
    /// that is not there succeeds, as in S3.
    func delete(_ key: String, ifMatch etag: String? = nil) async throws {
        do {
            _ = try await client.restObject(
                method: "DELETE", bucket: bucket, key: segments(key), headers: etag.map { ["If-Match": $0] } ?? [:],
                operation: "DeleteObject")
        } catch let error as AWSError where etag != nil && Self.isConflict(error) {
            throw Conflict(key: key)
        } catch let error as AWSError where error.code == "NoSuchKey" {
            return
        } catch {
            throw describe(error, "deleting \(key)")
        }
    }

    /// The `serial` metadata of an object (a HEAD); nil if the object or the field is missing.
    func serial(_ key: String) async throws -> Int? {
        do {
            let response = try await client.restObject(method: "HEAD", bucket: bucket, key: segments(key), operation: "HeadObject")
            return response.headers["x-amz-meta-serial"].flatMap { Int($0) }
        } catch let error as AWSError where error.status == 404 && error.code != "NoSuchBucket" {
            return nil
        } catch {
            throw describe(error, "reading \(key)")
        }
    }

    /// One listing: the keys under `prefix` (all pages), and with a `delimiter` the common
    /// prefixes ("folders") just below it.
    struct Listing: Sendable {
        var keys: [String] = []
        var folders: [String] = []
    }

    func list(_ prefix: String, delimiter: String? = nil, maxKeys: Int? = nil) async throws -> Listing {
        var listing = Listing()
        var token: String?
        repeat {
            var query = [HTTPRequest.QueryItem("list-type", "2"), HTTPRequest.QueryItem("prefix", prefix)]
            if let delimiter { query.append(HTTPRequest.QueryItem("delimiter", delimiter)) }
            if let maxKeys { query.append(HTTPRequest.QueryItem("max-keys", String(maxKeys))) }
            if let token { query.append(HTTPRequest.QueryItem("continuation-token", token)) }
            let response: RestXMLResponse
            do {
                response = try await client.restXML(method: "GET", bucket: bucket, query: query, operation: "ListObjectsV2")
            } catch {
                throw describe(error, "listing \(prefix)")
            }
            guard let xml = response.xml else { break }
            listing.keys += xml.all("Contents").compactMap { $0.string("Key") }
            listing.folders += xml.all("CommonPrefixes").compactMap { $0.string("Prefix") }
            token = xml.bool("IsTruncated") == true && maxKeys == nil ? xml.string("NextContinuationToken") : nil
        } while token != nil
        return listing
    }

    /// A key's path segments, as `AWSClient` wants them (each encoded on its own).
    private func segments(_ key: String) -> [String] {
        key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    }

    static func isConflict(_ error: AWSError) -> Bool {
        // 412: the condition failed. 409 ConditionalRequestConflict: another conditional write
        // of the same key was in flight (S3 answers one of two racing writers so). 404 with
        // If-Match: the object is gone.
        error.status == 412 || error.code == "PreconditionFailed" || error.code == "ConditionalRequestConflict"
            || (error.status == 404 && error.code != "NoSuchBucket")
    }

    /// A failed call as a `StateError` that says what to do.
    func describe(_ error: any Error, _ doing: String) -> any Error {
        if error is StateError || error is CancellationError || error is Conflict { return error }
        if let aws = error as? AWSError {
            switch aws.code {
            case "NoSuchBucket":
                return StateError.unavailable(
                    "the S3 bucket '\(bucket)' of the state \(location) does not exist (or is in another account): "
                        + "create it (`aws s3 mb s3://\(bucket)`, ideally with versioning on) or fix --state")
            case "AccessDenied", "AllAccessDisabled", "Forbidden":
                return StateError.unavailable(
                    "\(doing) in the state \(location): access denied (\(aws.description)). The credentials in use need "
                        + "s3:GetObject, s3:PutObject, s3:DeleteObject on \(bucket)/* and s3:ListBucket on \(bucket) (docs/state-backends.md)")
            case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
                return StateError.unavailable(
                    "\(doing) in the state \(location): the bucket is in another region (\(aws.description)). "
                        + "Add ?region=REGION to --state, or set AWS_REGION to the bucket's region")
            default:
                if AWSErrorClassifier.hint(code: aws.code) != nil {
                    return StateError.unavailable("\(doing) in the state \(location): the credentials were refused (\(aws.description))")
                }
                return StateError.storage("\(doing) in \(location): \(aws.description)")
            }
        }
        if let transport = error as? TransportError {
            return StateError.unavailable(
                "cannot reach S3 for the state \(location) (\(transport.message)). Check the network, the region and AWS_ENDPOINT_URL, and try again")
        }
        return StateError.storage("\(doing) in \(location): \(error)")
    }
}
