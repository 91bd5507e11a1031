import CSystemd

/// What the linked libsystemd reports about the host, for `deltastored --version`
/// and diagnostics; the socket-activation and notify code grows beside it.
public enum SystemdLibrary {
    /// True when the host was booted with systemd as its init system.
    public static var bootedWithSystemd: Bool { sd_booted() > 0 }
}
