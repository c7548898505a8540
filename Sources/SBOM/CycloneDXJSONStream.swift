import Foundation

/// The fast path for CycloneDX JSON: one pass over the bytes that builds the
/// component fields directly, without JSONDecoder's tree of values.
///
/// It only ever answers for documents the JSONDecoder path (`JSONReader`)
/// would accept with the same result: at the first thing it does not expect
/// (a JSON syntax error, a value of another type, a key twice, a byte order
/// mark, a document that is not CycloneDX, a component the builder rejects,
/// a bound of `SBOMLimits`) it returns `nil`, and `JSONReader` reads the
/// document again to report exactly what and where. Values it skips are
/// still checked for JSON syntax and UTF-8, nested at most 512 levels.
enum CycloneDXJSONStream {
    static func read(_ data: Data, limits: SBOMLimits) -> SBOMDocument? {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> SBOMDocument? in
            var scanner = JSONByteScanner(bytes: bytes)
            var state = State(limits: limits)
            return try? scanner.cycloneDXDocument(&state)
        }
    }

    /// The bounds, and the components read so far.
    fileprivate struct State {
        let limits: SBOMLimits
        var components = 0
    }
}

fileprivate typealias Unexpected = JSONUnexpected

fileprivate extension JSONByteScanner {
    typealias State = CycloneDXJSONStream.State

    mutating func cycloneDXDocument(_ state: inout State) throws(Unexpected) -> SBOMDocument {
        skipSpace()
        guard peek() == UInt8(ascii: "{") else { throw Unexpected() }
        var bomFormat: String?
        var specVersion: String?
        var product: CDXComponent?
        var top: [CDXComponent] = []
        var seen = KeySet()
        try object { (scanner, key) throws(Unexpected) in
            switch key {
            case "bomFormat":
                try seen.insert(0)
                bomFormat = try scanner.string()
                guard bomFormat == "CycloneDX" else { throw Unexpected() }
            case "spdxVersion", "SPDXID", "creationInfo", "packages", "documentNamespace", "@context", "@graph":
                // SPDX 2 or 3 (spdx-tools writes spdxVersion last): JSONReader reads it.
                throw Unexpected()
            case "specVersion":
                try seen.insert(1)
                specVersion = try scanner.optionalString()
            case "metadata":
                try seen.insert(2)
                product = try scanner.metadata(&state)
            case "components":
                try seen.insert(3)
                top = try scanner.componentList(level: 1, &state)
            default:
                try scanner.skipValue()
            }
        }
        guard atEnd(), bomFormat == "CycloneDX", let specVersion else { throw Unexpected() }
        do {
            return try CycloneDXJSONComponents.document(specVersion: specVersion, main: product, top: top, limits: state.limits)
        } catch {
            throw Unexpected()
        }
    }


    mutating func metadata(_ state: inout State) throws(Unexpected) -> CDXComponent? {
        if try null() { return nil }
        var product: CDXComponent?
        var seen = KeySet()
        try object { (scanner, key) throws(Unexpected) in
            if case "component" = key {
                try seen.insert(0)
                if try !scanner.null() { product = try scanner.component(level: 1, &state) }
            } else {
                try scanner.skipValue()
            }
        }
        return product
    }

    mutating func componentList(level: Int, _ state: inout State) throws(Unexpected) -> [CDXComponent] {
        if try null() { return [] }
        var list: [CDXComponent] = []
        try array { (scanner) throws(Unexpected) in
            list.append(try scanner.component(level: level, &state))
        }
        return list
    }

    mutating func component(level: Int, _ state: inout State) throws(Unexpected) -> CDXComponent {
        state.components += 1
        guard state.components <= state.limits.maxComponents, level <= state.limits.maxComponentDepth else { throw Unexpected() }
        var fields = CycloneDXFields()
        var children: [CDXComponent]?
        var seen = KeySet()
        try object { (scanner, key) throws(Unexpected) in
            switch key {
            case "type": try seen.insert(0); fields.type = try scanner.optionalString()
            case "bom-ref": try seen.insert(1); fields.bomRef = try scanner.optionalString()
            case "group": try seen.insert(2); fields.group = try scanner.optionalString()
            case "name": try seen.insert(3); fields.name = try scanner.optionalString()
            case "version": try seen.insert(4); fields.version = try scanner.optionalString()
            case "purl": try seen.insert(5); fields.purl = try scanner.optionalString()
            case "cpe": try seen.insert(6); fields.cpe = try scanner.optionalString()
            case "supplier": try seen.insert(7); fields.supplier = try scanner.supplierName()
            case "hashes": try seen.insert(8); fields.hashes = try scanner.hashes()
            case "licenses": try seen.insert(9); fields.licenses = try scanner.licenses()
            case "components":
                try seen.insert(10)
                if try !scanner.null() { children = try scanner.componentList(level: level + 1, &state) }
            default: try scanner.skipValue()
            }
        }
        return CDXComponent(fields: fields, components: children)
    }

    mutating func supplierName() throws(Unexpected) -> String? {
        if try null() { return nil }
        var name: String?
        var seen = KeySet()
        try object { (scanner, key) throws(Unexpected) in
            if case "name" = key {
                try seen.insert(0)
                name = try scanner.optionalString()
            } else {
                try scanner.skipValue()
            }
        }
        return name
    }

    mutating func hashes() throws(Unexpected) -> [(algorithm: String, content: String)] {
        if try null() { return [] }
        var list: [(algorithm: String, content: String)] = []
        try array { (scanner) throws(Unexpected) in
            var algorithm: String?
            var content: String?
            var seen = KeySet()
            try scanner.object { (scanner, key) throws(Unexpected) in
                switch key {
                case "alg": try seen.insert(0); algorithm = try scanner.string()
                case "content": try seen.insert(1); content = try scanner.string()
                default: try scanner.skipValue()
                }
            }
            guard let algorithm, let content else { throw Unexpected() }
            list.append((algorithm, content))
        }
        return list
    }

    mutating func licenses() throws(Unexpected) -> [CycloneDXLicense] {
        if try null() { return [] }
        var list: [CycloneDXLicense] = []
        try array { (scanner) throws(Unexpected) in
            var license: (id: String?, name: String?, acknowledgement: String?)?
            var expression: String?
            var acknowledgement: String?
            var seen = KeySet()
            try scanner.object { (scanner, key) throws(Unexpected) in
                switch key {
                case "license": try seen.insert(0); license = try scanner.licenseBody()
                case "expression": try seen.insert(1); expression = try scanner.optionalString()
                case "acknowledgement": try seen.insert(2); acknowledgement = try scanner.optionalString()
                default: try scanner.skipValue()
                }
            }
            switch (license, expression) {
            case let (nil, expression?):
                list.append(CycloneDXLicense(kind: .expression(expression), acknowledgement: acknowledgement))
            case let (body?, nil):
                switch (body.id, body.name) {
                case let (id?, nil): list.append(CycloneDXLicense(kind: .id(id), acknowledgement: body.acknowledgement))
                case let (nil, name?): list.append(CycloneDXLicense(kind: .name(name), acknowledgement: body.acknowledgement))
                default: throw Unexpected()
                }
            default:
                throw Unexpected()
            }
        }
        return list
    }

    mutating func licenseBody() throws(Unexpected) -> (id: String?, name: String?, acknowledgement: String?)? {
        if try null() { return nil }
        var body: (id: String?, name: String?, acknowledgement: String?) = (nil, nil, nil)
        var seen = KeySet()
        try object { (scanner, key) throws(Unexpected) in
            switch key {
            case "id": try seen.insert(0); body.id = try scanner.optionalString()
            case "name": try seen.insert(1); body.name = try scanner.optionalString()
            case "acknowledgement": try seen.insert(2); body.acknowledgement = try scanner.optionalString()
            default: try scanner.skipValue()
            }
        }
        return body
    }
}
