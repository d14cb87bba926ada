import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An XML element as a value: its name, its text, its child elements. Enough for AWS
/// responses, which carry no mixed content.
public struct XMLTree: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var attributes: [String: String]
    /// The element's own text, trimmed (empty when it has only children).
    public var text: String
    public var children: [XMLTree]

    public init(name: String, attributes: [String: String] = [:], text: String = "", children: [XMLTree] = []) {
        self.name = name
        self.attributes = attributes
        self.text = text
        self.children = children
    }

    /// The first child called `name`.
    public func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }

    /// Every child called `name`.
    public func all(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }

    /// Follows a path of child names: `tree["vpcSet", "item"]`.
    public subscript(_ path: String...) -> XMLTree? { descend(path) }

    public func descend(_ path: [String]) -> XMLTree? {
        var node: XMLTree? = self
        for name in path { node = node?.child(name) }
        return node
    }

    /// The text at a path of child names, nil if the element is missing.
    public func string(_ path: String...) -> String? { descend(path)?.text }

    /// `true`/`false` text at a path.
    public func bool(_ path: String...) -> Bool? {
        switch descend(path)?.text.lowercased() {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }

    /// The `<item>` children of the element at a path: how EC2 writes lists (`<vpcSet><item>`).
    public func items(_ path: String...) -> [XMLTree] { descend(path)?.all("item") ?? [] }

    /// The first element called `name` anywhere below (depth first), or self.
    public func find(_ name: String) -> XMLTree? {
        if self.name == name { return self }
        for child in children { if let found = child.find(name) { return found } }
        return nil
    }

    public var description: String {
        if children.isEmpty { return "<\(name)>\(text)</\(name)>" }
        return "<\(name)>" + children.map(\.description).joined() + "</\(name)>"
    }

    /// Parses a document; its root element is returned.
    ///
    /// AWS answers are UTF-8, with no DTD and no processing instruction but the XML
    /// declaration. Anything else is refused before `XMLParser` sees it: on Linux, FoundationXML
    /// force-unwraps names as UTF-8 and reads a processing instruction's missing data as a C
    /// string, and traps on both (found by `scripts/fuzz aws-response`).
    public static func parse(_ data: Data) throws -> XMLTree {
        func refuse(_ why: String) -> XMLTreeError {
            XMLTreeError(message: "invalid XML: \(why)", snippet: String(decoding: data.prefix(200), as: UTF8.self))
        }
        guard String(validating: data, as: UTF8.self) != nil else { throw refuse("the answer is not UTF-8") }
        if let encoding = declaredEncoding(data), encoding.lowercased() != "utf-8" {
            throw refuse("the answer declares the encoding \(encoding); AWS answers are UTF-8")
        }
        // The declaration is read here (its encoding, above), the rest by XMLParser.
        var body = data
        if data.starts(with: Data("<?xml".utf8)), let end = data.range(of: Data("?>".utf8)) { body = data[end.upperBound...] }
        if body.range(of: Data("<?".utf8)) != nil { throw refuse("a processing instruction; AWS answers have none") }
        if body.range(of: Data("<!DOCTYPE".utf8)) != nil { throw refuse("a DTD; AWS answers have none") }
        let builder = XMLTreeBuilder()
        let parser = XMLParser(data: Data(body))
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        let ok = parser.parse()
        if let root = builder.root, ok { return root }
        let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? builder.error ?? "no root element"
        throw XMLTreeError(message: "invalid XML: \(reason)", snippet: String(decoding: data.prefix(200), as: UTF8.self))
    }

    public static func parse(_ text: String) throws -> XMLTree { try parse(Data(text.utf8)) }

    /// The `encoding` of the XML declaration (`<?xml version="1.0" encoding="…"?>`), if any.
    static func declaredEncoding(_ data: Data) -> String? {
        let head = String(decoding: data.prefix(200), as: UTF8.self)
        guard head.hasPrefix("<?xml"), let end = head.range(of: "?>") else { return nil }
        let declaration = head[..<end.lowerBound]
        guard let key = declaration.range(of: "encoding") else { return nil }
        let rest = declaration[key.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\t" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        return String(rest.dropFirst().prefix { $0 != quote })
    }
}

public struct XMLTreeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var snippet: String
    public var description: String { "\(message) (document starts: \(snippet))" }
}

/// Builds the tree from parser events (used on one thread, for one parse).
final class XMLTreeBuilder: NSObject, XMLParserDelegate {
    private var stack: [XMLTree] = []
    private var texts: [String] = []
    var root: XMLTree?
    var error: String?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        stack.append(XMLTree(name: elementName, attributes: attributeDict))
        texts.append("")
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !texts.isEmpty else { return }
        texts[texts.count - 1] += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !texts.isEmpty else { return }
        texts[texts.count - 1] += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard var node = stack.popLast(), let text = texts.popLast() else { return }
        node.text = node.children.isEmpty ? text : text.trimmingCharacters(in: .whitespacesAndNewlines)
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
        }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        error = "\(parseError)"
    }
}

/// Writes small XML request bodies (S3): `XMLWriter.element("VersioningConfiguration", ...)`.
public enum XMLWriter {
    public static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A document whose root carries the namespace, e.g. S3's `http://s3.amazonaws.com/doc/2006-03-01/`.
    public static func document(_ root: XMLTree, namespace: String? = nil) -> Data {
        var attributes = root.attributes
        if let namespace { attributes["xmlns"] = namespace }
        var tree = root
        tree.attributes = attributes
        return Data(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + write(tree)).utf8)
    }

    public static func write(_ node: XMLTree) -> String {
        let attributes = node.attributes.sorted { $0.key < $1.key }.map { " \($0.key)=\"\(escape($0.value))\"" }.joined()
        let inner = node.children.isEmpty ? escape(node.text) : node.children.map(write).joined()
        return "<\(node.name)\(attributes)>\(inner)</\(node.name)>"
    }
}
