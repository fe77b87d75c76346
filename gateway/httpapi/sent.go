package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"docgate/gateway"
)

// sentResponse is the body of GET /v1/sent.
type sentResponse struct {
	Items []*gateway.SentItem `json:"items"`
	// Next is the value of ?before= for the next page; absent on the last.
	Next string `json:"next,omitempty"`
}

func (s *Server) handleSent(w http.ResponseWriter, r *http.Request) {
	ex, err := s.exchange()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	var f gateway.SentFilter
	if f.Before, f.Limit, err = parsePage(q); err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.DocumentSearch, err = parseSearch(q, time.Now()); err != nil {
		s.writeError(w, r, err)
		return
	}
	f.To = q.Get("to")
	items, err := ex.Sent(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := sentResponse{Items: items}
	if len(items) == pageSize(f.Limit) {
		out.Next = strconv.FormatInt(items[len(items)-1].Cursor, 10)
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// pageSize is the size of a full page for a ?limit= (0: none given): a
// full page says there may be more, and the answer's next says from where.
func pageSize(limit int) int {
	if limit <= 0 {
		return gateway.DefaultPageSize
	}
	return limit
}

// parsePage reads ?before= and ?limit=. EINVALID.
func parsePage(q url.Values) (before int64, limit int, err error) {
	if v := q.Get("before"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			return 0, 0, gateway.Errorf(gateway.EINVALID, "before must be the cursor of an item (a positive number)")
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return 0, 0, gateway.Errorf(gateway.EINVALID, "limit must be a number from 1 to 1000")
		}
	}
	return before, limit, nil
}

// searchZone is where a bare date (YYYY-MM-DD) in since or until starts and
// ends: Vietnam, as every agency on the gateway is.
var searchZone = time.FixedZone("UTC+07:00", 7*3600)

// parseSearch reads the search parameters the inbox and the sent box share:
// q, since, until (RFC 3339 or YYYY-MM-DD; a bare until includes its day),
// overdue (true: due before now and not done), status, state. EINVALID.
func parseSearch(q url.Values, now time.Time) (gateway.DocumentSearch, error) {
	s := gateway.DocumentSearch{
		Q:      q.Get("q"),
		Status: gateway.ProcessingStatus(q.Get("status")),
		State:  gateway.DeliveryState(q.Get("state")),
	}
	var err error
	if s.Since, err = parseSearchTime(q.Get("since"), "since", false); err != nil {
		return s, err
	}
	if s.Until, err = parseSearchTime(q.Get("until"), "until", true); err != nil {
		return s, err
	}
	switch v := q.Get("overdue"); v {
	case "", "false", "0":
	case "true", "1":
		s.OverdueAt = now
	default:
		return s, gateway.Errorf(gateway.EINVALID, "overdue must be true or false")
	}
	return s, s.Validate()
}

func parseSearchTime(v, name string, endOfDay bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, v, searchZone)
	if err != nil {
		return time.Time{}, gateway.Errorf(gateway.EINVALID, "%s must be a date (YYYY-MM-DD) or an RFC 3339 time", name)
	}
	if endOfDay {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}
