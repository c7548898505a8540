import Foundation
import Testing
@testable import Kiosk

/// Media detection from mountinfo, and the allowed-roots rule.
@Suite struct MediaTests {
    static func mountinfo(_ points: [String]) -> String {
        points.enumerated().map { i, p in
            let escaped = p.replacingOccurrences(of: "\\", with: "\\134").replacingOccurrences(of: " ", with: "\\040")
            return "\(100 + i) 1 8:\(i + 1) / \(escaped) rw,nosuid,nodev shared:1 - vfat /dev/sdb\(i + 1) rw"
        }.joined(separator: "\n") + "\n"
    }

    @Test func mountsUnderTheMediaRootsAreOfferedAndNewOnesMarked() throws {
        let station = try TestStation(tampered: false)
        let usb = station.media + "/operator/VENDOR USB"
        let other = station.root + "/elsewhere"
        for dir in [usb, other] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let info = station.root + "/mountinfo"
        try Data(Self.mountinfo(["/", other]).utf8).write(to: URL(fileURLWithPath: info))
        let finder = SourceFinder(mediaRoots: [station.media], dropFolders: [station.drop], mountinfo: info)
        #expect(finder.sources().filter { $0.kind == .medium }.isEmpty)
        // The stick is inserted: a new mount under the media root.
        try Data(Self.mountinfo(["/", other, usb]).utf8).write(to: URL(fileURLWithPath: info))
        let sources = finder.sources()
        let medium = try #require(sources.first { $0.kind == .medium })
        #expect(medium.path == usb && medium.isNew && medium.name == "operator/VENDOR USB")
        #expect(sources.first?.kind == .medium, "new media first")
        #expect(sources.contains { $0.kind == .drop && $0.name == "delivery" })
        #expect(!sources.contains { $0.path == other })
    }

    @Test func onlyRealPathsUnderTheRootsAreAllowed() throws {
        let station = try TestStation(tampered: false)
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: station.drop + "/to-etc", withDestinationPath: "/etc")
        try fm.createSymbolicLink(atPath: station.drop + "/to-delivery", withDestinationPath: station.drop + "/delivery")
        try fm.createDirectory(atPath: station.root + "/drop-sibling", withIntermediateDirectories: true)
        let finder = SourceFinder(mediaRoots: [station.media], dropFolders: [station.drop])
        #expect(finder.allowed(station.drop + "/delivery") != nil)
        #expect(finder.allowed(station.drop + "/to-delivery") == SourceFinder.real(station.drop + "/delivery"), "a link inside stays inside")
        #expect(finder.allowed(station.drop + "/to-etc") == nil)
        #expect(finder.allowed(station.drop + "/../state") == nil)
        #expect(finder.allowed(station.root + "/drop-sibling") == nil, "a sibling sharing the prefix is not under the root")
        #expect(finder.allowed("/nonexistent/path") == nil)
        #expect(!finder.sources().contains { $0.name == "to-etc" })
    }

    @Test func mountinfoEscapesAreDecoded() {
        #expect(SourceFinder.unescape("/media/a\\040b\\011c\\134d") == "/media/a b\tc\\d")
        #expect(SourceFinder.unescape("/media/trailing\\04") == "/media/trailing\\04")
    }
}
