import Foundation
import PassboxKit
import Vulnerabilities
import VulnerabilityStore

/// The vulnerability gate of a station, for every caller (`verify`, `admit`, `sbom
/// --vulns`, `inventory vulns` and the kiosk): the station's database (the
/// vulnerability tables of its inventory store, `STATE/inventory.sqlite`, or the store
/// given), its registered VEX (`STATE/vex/*.json`) and the policy.
public enum StationVulnerabilities {
    /// On when the station has a database (an import recorded), the policy has a
    /// `vulnerabilities:` section, or `force`: then a missing database is
    /// `vuln.database-missing` (an error with `requireDatabase: true`, else a warning).
    /// nil: the stage is off. Only the records a delivery's components name are read
    /// (by ecosystem and name). `store`: another store than the station's own.
    public static func gate(stateDirectory: String, policy: VulnerabilityPolicy?, force: Bool = false,
                            store: StoreLocation? = nil, notice: (String) -> Void = { _ in }) throws -> VulnerabilityGate? {
        let database = try open(stateDirectory: stateDirectory, store: store, notice: notice)
        guard database != nil || policy != nil || force else { return nil }
        let stationVEX: [VEXDocumentStatements]
        do {
            stationVEX = try VulnerabilityGate.readStationVEX(directory: stateDirectory + "/vex")
        } catch let error as EvaluationError {
            throw VulnerabilityDatabaseError("station VEX: \(error.message)")
        }
        guard let database else {
            return VulnerabilityGate(policy: policy ?? .default, index: nil, database: .missing, stationVEX: stationVEX)
        }
        return VulnerabilityGate(policy: policy ?? .default, index: nil, database: try database.state(), databasePath: database.location,
                                 stationVEX: stationVEX, lookup: { keys in try database.loadIndex(keys: keys).index })
    }

    /// The database with at least one import, or nil (none: the station's store file
    /// does not exist, or nothing was imported). The station's own store copies an
    /// earlier `STATE/vulndb.sqlite` in once.
    public static func open(stateDirectory: String, store: StoreLocation? = nil,
                            notice: (String) -> Void = { _ in }) throws -> VulnerabilityDatabase? {
        let database: VulnerabilityDatabase?
        if let store, store != .station(stateDirectory: stateDirectory) {
            // Reading never creates a SQLite file.
            if case let .sqlite(path) = store, !FileManager.default.fileExists(atPath: path) { return nil }
            do {
                database = try VulnerabilityDatabase(store)
            } catch {
                throw VulnerabilityDatabaseError("\(error)")
            }
        } else {
            database = try VulnerabilityDatabase.station(stateDirectory: stateDirectory, create: false, notice: notice)
        }
        guard let database else { return nil }
        guard try database.hasImports() else {
            database.close()
            return nil
        }
        return database
    }
}
