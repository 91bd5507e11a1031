/// A whole number of seconds as the daemon's options write it and its log
/// shows it: `30d`, `12h`, `15m`, `90s` (the largest unit that divides it).
public enum DurationText {
    public static func compact(seconds: Int64) -> String {
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
