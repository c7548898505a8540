import Intake

public let passboxVersion = "0.1.0"

/// Call once at start: libarchive keeps UTF-8 entry names only in a UTF-8 locale.
public func configureLocale() {
    Intake.configureLocale()
}
