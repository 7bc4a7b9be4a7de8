package explain

import (
	"fmt"
	"strings"
)

// LogTime is a timestamp read at the start of a log entry, as precise as
// the log wrote it: a date without a year (syslog) stays without one, a
// time without a zone stays local to the machine that wrote it.
type LogTime struct {
	Year, Month, Day     int // Year 0: the format has none
	Hour, Minute, Second int
	// Frac is the fraction of a second as written (digits only, "" for
	// none).
	Frac string
	// Zone is "Z" or "+hh:mm"/"-hh:mm", "" when the log gave none.
	Zone string
}

// String writes the time in ISO 8601 (RFC 3339 when the zone is known):
// 2024-05-01T10:00:00.123Z, 2024-05-01T10:00:00 without a zone, and
// --05-01T10:00:00 for a date without a year.
func (t LogTime) String() string {
	var b strings.Builder
	if t.Year > 0 {
		fmt.Fprintf(&b, "%04d", t.Year)
	} else {
		b.WriteString("-")
	}
	fmt.Fprintf(&b, "-%02d-%02dT%02d:%02d:%02d", t.Month, t.Day, t.Hour, t.Minute, t.Second)
	if t.Frac != "" {
		b.WriteString("." + t.Frac)
	}
	b.WriteString(t.Zone)
	return b.String()
}

// logTimeScan is how far into a line a timestamp is looked for: far
// enough for a bracket, a level or a host name before it ("[INFO] ",
// `{"t":{"$date":"`), near enough that a time quoted in a message is not
// taken for the entry's.
const logTimeScan = 40

// parseLogTime finds the first timestamp that starts within the first
// logTimeScan bytes of line, in the formats of common logs: RFC 3339 and
// ISO 8601 with or without a zone ("2024-05-01T10:00:00Z",
// "2024-05-01 10:00:00.123"), Python logging's ("2024-05-01
// 10:00:00,123"), Go's log package ("2024/05/01 10:00:00"), syslog's
// ("May  1 10:00:00") and Java's java.util.logging default ("May 01, 2024
// 10:00:00 AM"). It returns the time and the offset just after it.
func parseLogTime(line []byte) (LogTime, int, bool) {
	limit := min(len(line), logTimeScan)
	for i := 0; i < limit; i++ {
		c := line[i]
		if i > 0 && exIsAlnum(line[i-1]) {
			continue
		}
		switch {
		case exIsDigit(c):
			if t, n, ok := parseISOTime(line[i:]); ok {
				return t, i + n, true
			}
		case c >= 'A' && c <= 'S':
			if t, n, ok := parseMonthTime(line[i:]); ok {
				return t, i + n, true
			}
		}
	}
	return LogTime{}, 0, false
}

func exIsDigit(c byte) bool { return c >= '0' && c <= '9' }

func exIsAlnum(c byte) bool {
	return exIsDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// digits reads exactly n digits at s[i:].
func digits(s []byte, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range s[i : i+n] {
		if !exIsDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseClock reads hh:mm:ss with an optional fraction (after '.' or ',')
// at s[i:], and returns the offset after it.
func parseClock(s []byte, i int, t *LogTime) (int, bool) {
	var ok1, ok2, ok3 bool
	t.Hour, ok1 = digits(s, i, 2)
	if !ok1 && i < len(s) && exIsDigit(s[i]) && (i+1 >= len(s) || s[i+1] == ':') {
		t.Hour, ok1 = int(s[i]-'0'), true // Java: "1:02:03 PM"
		i--
	}
	if !ok1 || i+2 >= len(s) || s[i+2] != ':' {
		return 0, false
	}
	t.Minute, ok2 = digits(s, i+3, 2)
	if !ok2 || i+5 >= len(s) || s[i+5] != ':' {
		return 0, false
	}
	t.Second, ok3 = digits(s, i+6, 2)
	if !ok3 || t.Hour > 23 || t.Minute > 59 || t.Second > 60 {
		return 0, false
	}
	i += 8
	if i+1 < len(s) && (s[i] == '.' || s[i] == ',') && exIsDigit(s[i+1]) {
		j := i + 1
		for j < len(s) && exIsDigit(s[j]) && j-i <= 9 {
			j++
		}
		t.Frac = string(s[i+1 : j])
		i = j
	}
	return i, true
}

// parseISOTime reads YYYY-MM-DD or YYYY/MM/DD, 'T' or ' ', the clock and
// an optional zone (Z, +hh:mm, +hhmm, +hh).
func parseISOTime(s []byte) (LogTime, int, bool) {
	var t LogTime
	var ok bool
	if t.Year, ok = digits(s, 0, 4); !ok || len(s) < 11 || (s[4] != '-' && s[4] != '/') || s[7] != s[4] {
		return t, 0, false
	}
	if t.Month, ok = digits(s, 5, 2); !ok || t.Month < 1 || t.Month > 12 {
		return t, 0, false
	}
	if t.Day, ok = digits(s, 8, 2); !ok || t.Day < 1 || t.Day > 31 || (s[10] != 'T' && s[10] != ' ') {
		return t, 0, false
	}
	i, ok := parseClock(s, 11, &t)
	if !ok {
		return t, 0, false
	}
	if i < len(s) && (s[i] == 'Z' || s[i] == 'z') {
		t.Zone = "Z"
		return t, i + 1, true
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		if h, ok := digits(s, i+1, 2); ok && h <= 14 {
			j, m := i+3, 0
			if j < len(s) && s[j] == ':' {
				j++
			}
			if mm, ok := digits(s, j, 2); ok && mm < 60 {
				m, j = mm, j+2
			} else {
				j = i + 3
			}
			t.Zone = fmt.Sprintf("%c%02d:%02d", s[i], h, m)
			return t, j, true
		}
	}
	return t, i, true
}

var logMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// parseMonthTime reads syslog's "Mon _d hh:mm:ss" and Java's "Mon dd,
// yyyy h:mm:ss AM".
func parseMonthTime(s []byte) (LogTime, int, bool) {
	var t LogTime
	if len(s) < 15 || s[3] != ' ' {
		return t, 0, false
	}
	for i, m := range logMonths {
		if string(s[:3]) == m {
			t.Month = i + 1
		}
	}
	if t.Month == 0 {
		return t, 0, false
	}
	i := 4
	if s[i] == ' ' {
		i++
	}
	d := 0
	for i < len(s) && exIsDigit(s[i]) && d < 100 {
		d = d*10 + int(s[i]-'0')
		i++
	}
	if d < 1 || d > 31 || i >= len(s) {
		return t, 0, false
	}
	t.Day = d
	if s[i] == ',' { // Java: "May 01, 2024 1:02:03 PM"
		y, ok := digits(s, i+2, 4)
		if !ok || i+6 >= len(s) || s[i+1] != ' ' || s[i+6] != ' ' {
			return t, 0, false
		}
		t.Year = y
		j, ok := parseClock(s, i+7, &t)
		if !ok || j+3 > len(s) || s[j] != ' ' {
			return t, 0, false
		}
		switch string(s[j+1 : j+3]) {
		case "AM":
			if t.Hour == 12 {
				t.Hour = 0
			}
		case "PM":
			if t.Hour < 12 {
				t.Hour += 12
			}
		default:
			return t, 0, false
		}
		return t, j + 3, true
	}
	if s[i] != ' ' {
		return t, 0, false
	}
	j, ok := parseClock(s, i+1, &t)
	if !ok {
		return t, 0, false
	}
	return t, j, true
}
