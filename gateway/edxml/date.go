package edxml

import (
	"strings"
	"time"
)

// vietnam is UTC+7, the zone edXML dates and timestamps are written in. It is
// never modified after initialisation.
var vietnam = time.FixedZone("UTC+7", 7*60*60)

// Vietnam returns the zone of edXML dates (UTC+7); the reader returns every
// time in it.
func Vietnam() *time.Location { return vietnam }

// The writer's formats.
const (
	DateLayout      = "2006/01/02"
	TimestampLayout = "2006/01/02 15:04:05"
)

// readLayouts are the forms seen in the field, year-first and day-first, and
// ISO 8601. Go's single-digit month and day fields also accept two digits.
func readLayouts() []string {
	return []string{
		"2006/1/2 15:04:05",
		"2006/1/2 15:04",
		"2006/1/2",
		"2/1/2006 15:04:05",
		"2/1/2006 15:04",
		"2/1/2006",
		"2006-1-2 15:04:05",
		"2006-1-2",
		"2-1-2006 15:04:05",
		"2-1-2006",
		"2006-01-02T15:04:05Z07:00",
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04",
	}
}

// ParseTime reads an edXML date or timestamp in any of the forms real systems
// write. A time without a zone is Vietnam time; the result is always in
// Vietnam time. An empty string or "N/A" gives the zero time. ok is false when
// the text is none of the accepted forms.
func ParseTime(s string) (t time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "N/A") {
		return time.Time{}, true
	}
	for _, layout := range readLayouts() {
		if t, err := time.ParseInLocation(layout, s, vietnam); err == nil {
			return t.In(vietnam), true
		}
	}
	return time.Time{}, false
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vietnam).Format(DateLayout)
}

func formatTimestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vietnam).Format(TimestampLayout)
}
