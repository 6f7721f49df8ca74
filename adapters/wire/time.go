package wire

import "time"

// TimeFormat is the one format of every timestamp a client sees, on every
// route and event: RFC 3339 in UTC with a Z and exactly six fractional
// digits (the stores keep microseconds), so equal instants are equal
// strings and strings sort as times.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// FormatTime renders t in TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// AppendTime appends t in TimeFormat to b.
func AppendTime(b []byte, t time.Time) []byte { return t.UTC().AppendFormat(b, TimeFormat) }
