package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"docgate/gateway"
)

// StatsStore is a store with the report's aggregates.
type StatsStore interface {
	gateway.Store
	gateway.StatsStore
}

// statsDelivery is one recipient of a fixture document: when (after
// submission) each event happened, nil for never.
type statsDelivery struct {
	to        string
	consigned []time.Duration // ContentConsignment events
	handover  []time.Duration // ContentHandover events
	done      *time.Duration  // the "done" status
	rejected  bool
	recalled  bool
}

type statsDoc struct {
	id   string
	from string
	at   time.Time
	due  *time.Time
	to   []statsDelivery
}

// TestStatsStore runs the report aggregates' conformance suite: it seeds
// documents, deliveries and events at known times and checks every number
// against the same quantities computed here from the fixtures.
func TestStatsStore(t *testing.T, open func(t *testing.T) StatsStore) {
	s := open(t)
	ctx := context.Background()
	a, b, c := code(1), code(2), code(3)
	for _, cd := range []string{a, b, c} {
		mustCreateAgency(t, s, &gateway.Agency{Code: cd, Name: "Agency " + cd})
	}
	zone := time.FixedZone("ICT", 7*3600)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, zone)
	end := time.Date(2026, 4, 1, 0, 0, 0, 0, zone)
	now := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	dur := func(d time.Duration) *time.Duration { return &d }
	tm := func(t time.Time) *time.Time { return &t }

	docs := []statsDoc{
		// Just inside: 1 January in Vietnam, still 31 December in UTC.
		{id: "edge-in", from: a, at: start.UTC().Add(30 * time.Minute), due: tm(start.Add(48 * time.Hour)),
			to: []statsDelivery{{to: b, consigned: []time.Duration{0, time.Minute}, handover: []time.Duration{time.Hour, 2 * time.Hour}, done: dur(48*time.Hour - 30*time.Minute)}}},
		// Just outside on both ends.
		{id: "edge-before", from: a, at: start.UTC().Add(-time.Minute), to: []statsDelivery{{to: b, consigned: []time.Duration{0}}}},
		{id: "edge-after", from: b, at: end.UTC(), to: []statsDelivery{{to: a, consigned: []time.Duration{0}}}},
		// Done exactly at the due date counts as on time; one late, one
		// overdue, one still open, one rejected and one recalled (neither
		// counted).
		{id: "due-mix", from: b, at: time.Date(2026, 2, 10, 3, 0, 0, 0, time.UTC), due: tm(time.Date(2026, 2, 20, 10, 0, 0, 0, zone)),
			to: []statsDelivery{
				{to: a, consigned: []time.Duration{0}, handover: []time.Duration{90 * time.Second}, done: dur(time.Date(2026, 2, 20, 3, 0, 0, 0, time.UTC).Sub(time.Date(2026, 2, 10, 3, 0, 0, 0, time.UTC)))},
				{to: c, consigned: []time.Duration{0, 5 * time.Minute}, handover: []time.Duration{time.Hour}, done: dur(11 * 24 * time.Hour)},
			}},
		{id: "due-open", from: c, at: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), due: tm(time.Date(2026, 3, 25, 0, 0, 0, 0, time.UTC)),
			to: []statsDelivery{{to: a, consigned: []time.Duration{0}}, {to: b, consigned: []time.Duration{0}, rejected: true}}},
		{id: "due-over", from: c, at: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), due: tm(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)),
			to: []statsDelivery{{to: a, consigned: []time.Duration{0}}, {to: b, consigned: []time.Duration{0}, recalled: true}}},
	}
	// Many more at pseudo-random times, so that the percentiles are not
	// all one value.
	rng := rand.New(rand.NewPCG(1, 2))
	codes := []string{a, b, c}
	for i := range 40 {
		from := codes[i%3]
		d := statsDoc{id: fmt.Sprintf("r%02d", i), from: from,
			at: start.UTC().Add(time.Duration(rng.Int64N(int64(end.Sub(start)/time.Second))) * time.Second)}
		for _, to := range codes {
			if to == from || rng.IntN(3) == 0 && len(d.to) > 0 {
				continue
			}
			dl := statsDelivery{to: to, consigned: []time.Duration{0}}
			if rng.IntN(2) == 0 {
				dl.consigned = append(dl.consigned, time.Duration(rng.Int64N(7200))*time.Second)
			}
			if rng.IntN(4) != 0 {
				dl.handover = []time.Duration{time.Duration(rng.Int64N(5*24*3600)) * time.Second}
			}
			d.to = append(d.to, dl)
		}
		docs = append(docs, d)
	}
	for _, d := range docs {
		mustCreateDocument(t, s, statsSubmission(d))
	}

	bounds := []time.Duration{time.Minute, time.Hour, 24 * time.Hour}
	for _, agency := range []string{"", a, b} {
		t.Run("agency="+agency, func(t *testing.T) {
			q := &gateway.StatsQuery{Start: start.UTC(), End: end.UTC(), Agency: agency, Offset: 7 * 3600, Now: now, Bounds: bounds}
			in := func(d statsDoc) bool { return !d.at.Before(q.Start) && d.at.Before(q.End) }
			mine := func(d statsDoc, dl statsDelivery) bool { return agency == "" || d.from == agency || dl.to == agency }

			// Volumes.
			want := map[[2]string]*gateway.StatsVolume{}
			row := func(ag string, at time.Time) *gateway.StatsVolume {
				k := [2]string{ag, at.In(zone).Format("2006-01")}
				if want[k] == nil {
					want[k] = &gateway.StatsVolume{Agency: ag, Month: k[1]}
				}
				return want[k]
			}
			for _, d := range docs {
				if !in(d) {
					continue
				}
				if agency == "" || d.from == agency {
					v := row(d.from, d.at)
					v.Sent++
					v.Dispatches += int64(len(d.to))
				}
				for _, dl := range d.to {
					if agency == "" || dl.to == agency {
						row(dl.to, d.at).Received++
					}
				}
			}
			var wantVols []gateway.StatsVolume
			for _, v := range want {
				wantVols = append(wantVols, *v)
			}
			sort.Slice(wantVols, func(i, j int) bool {
				if wantVols[i].Agency != wantVols[j].Agency {
					return wantVols[i].Agency < wantVols[j].Agency
				}
				return wantVols[i].Month < wantVols[j].Month
			})
			got, err := s.Volumes(ctx, q)
			if err != nil {
				t.Fatalf("volumes: %v", err)
			}
			if !reflect.DeepEqual(got, wantVols) {
				t.Errorf("volumes:\n got %+v\nwant %+v", got, wantVols)
			}

			// Latencies.
			for _, tc := range []struct {
				event string
				last  bool
				of    func(statsDelivery) []time.Duration
			}{
				{gateway.EventContentConsignment, true, func(dl statsDelivery) []time.Duration { return dl.consigned }},
				{gateway.EventContentHandover, false, func(dl statsDelivery) []time.Duration { return dl.handover }},
			} {
				var lats []time.Duration
				for _, d := range docs {
					for _, dl := range d.to {
						ev := tc.of(dl)
						if !in(d) || !mine(d, dl) || len(ev) == 0 {
							continue
						}
						pick := ev[0]
						for _, e := range ev {
							if (tc.last && e > pick) || (!tc.last && e < pick) {
								pick = e
							}
						}
						lats = append(lats, pick)
					}
				}
				wantLat := referenceLatency(lats, bounds)
				gotLat, err := s.Latency(ctx, q, tc.event, tc.last)
				if err != nil {
					t.Fatalf("latency %s: %v", tc.event, err)
				}
				if !reflect.DeepEqual(gotLat, wantLat) {
					t.Errorf("latency %s:\n got %+v\nwant %+v", tc.event, gotLat, wantLat)
				}
			}

			// Due dates.
			var wantOT gateway.StatsOnTime
			for _, d := range docs {
				for _, dl := range d.to {
					if !in(d) || !mine(d, dl) || d.due == nil || dl.rejected || dl.recalled {
						continue
					}
					switch {
					case dl.done != nil && !d.at.Add(*dl.done).After(*d.due):
						wantOT.OnTime++
					case dl.done != nil:
						wantOT.Late++
					case d.due.Before(now):
						wantOT.Overdue++
					default:
						wantOT.Open++
					}
				}
			}
			gotOT, err := s.OnTime(ctx, q)
			if err != nil {
				t.Fatalf("on time: %v", err)
			}
			if *gotOT != wantOT {
				t.Errorf("on time: got %+v, want %+v", *gotOT, wantOT)
			}
			if agency == "" && (wantOT.OnTime == 0 || wantOT.Late == 0 || wantOT.Overdue == 0 || wantOT.Open == 0) {
				t.Errorf("the fixtures should cover every due-date outcome: %+v", wantOT)
			}
		})
	}

	t.Run("empty", func(t *testing.T) {
		q := &gateway.StatsQuery{Start: end.UTC().AddDate(1, 0, 0), End: end.UTC().AddDate(2, 0, 0), Offset: 7 * 3600, Now: now, Bounds: bounds}
		vols, err := s.Volumes(ctx, q)
		if err != nil || len(vols) != 0 {
			t.Errorf("volumes of an empty period: %v, %v", vols, err)
		}
		lat, err := s.Latency(ctx, q, gateway.EventContentHandover, false)
		if err != nil || !reflect.DeepEqual(lat, referenceLatency(nil, bounds)) {
			t.Errorf("latency of an empty period: %+v, %v", lat, err)
		}
		ot, err := s.OnTime(ctx, q)
		if err != nil || *ot != (gateway.StatsOnTime{}) {
			t.Errorf("on time of an empty period: %+v, %v", ot, err)
		}
	})
}

// referenceLatency computes nearest-rank percentiles and the histogram the
// plain way, over a slice.
func referenceLatency(lats []time.Duration, bounds []time.Duration) *gateway.StatsLatency {
	out := &gateway.StatsLatency{Count: int64(len(lats)), Histogram: make([]int64, len(bounds)+1)}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	rank := func(p int) time.Duration {
		n := len(lats)
		k := (p*n + 99) / 100 // ceil(p/100 × n), 1-based
		return lats[k-1]
	}
	if len(lats) > 0 {
		out.P50, out.P90, out.P99 = rank(50), rank(90), rank(99)
	}
	for _, l := range lats {
		i := sort.Search(len(bounds), func(i int) bool { return l <= bounds[i] })
		out.Histogram[i]++
	}
	return out
}

// statsSubmission writes a fixture document with its whole trail at once:
// the store takes events at any time, and the report only reads them.
func statsSubmission(d statsDoc) *gateway.Submission {
	var to []string
	for _, dl := range d.to {
		to = append(to, dl.to)
	}
	sub := newSubmission(d.id, "", d.from, to, d.at)
	sub.Document.Envelope.DueDate = d.due
	sub.Events = sub.Events[:1] // keep the submission's own event; the fixture says the rest
	for i, dl := range d.to {
		del := sub.Deliveries[i]
		if dl.recalled {
			del.State = gateway.DeliveryRecalled
		}
		if dl.rejected {
			del.Status = gateway.StatusRejected
		}
		add := func(typ string, after time.Duration, status gateway.ProcessingStatus) {
			sub.Events = append(sub.Events, &gateway.Event{DocumentID: d.id, Type: typ, Actor: dl.to, Recipient: dl.to, Status: status, At: d.at.Add(after)})
		}
		for _, c := range dl.consigned {
			add(gateway.EventContentConsignment, c, "")
		}
		for _, h := range dl.handover {
			add(gateway.EventContentHandover, h, "")
		}
		if dl.done != nil {
			// An earlier status must not count as done.
			add(gateway.EventStatus, *dl.done/2, gateway.StatusProcessing)
			add(gateway.EventStatus, *dl.done, gateway.StatusDone)
		}
	}
	return sub
}
