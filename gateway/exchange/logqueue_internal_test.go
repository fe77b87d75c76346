package exchange

import (
	"sync"
	"testing"
	"time"
)

// TestLogQueueGroups checks that appends arriving while one runs wait and go
// together in the next, in arrival order, and that every caller returns only
// once its own job is done.
func TestLogQueueGroups(t *testing.T) {
	var q logQueue
	started, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var calls [][]string
	appendJobs := func(jobs []*logJob) {
		mu.Lock()
		first := len(calls) == 0
		var docs []string
		for _, j := range jobs {
			docs = append(docs, j.doc)
			j.first = uint64(len(calls) * 100)
		}
		calls = append(calls, docs)
		mu.Unlock()
		if first {
			close(started)
			<-release
		}
	}
	done := make(chan string, 4)
	lead := &logJob{doc: "a", done: make(chan struct{})}
	go func() { q.run(lead, appendJobs); done <- "a" }()
	<-started
	for _, d := range []string{"b", "c", "d"} {
		j := &logJob{doc: d, done: make(chan struct{})}
		go func() { q.run(j, appendJobs); done <- j.doc }()
		// Wait until it is queued, so the order is known.
		for !q.queued(j) {
			time.Sleep(time.Millisecond)
		}
	}
	select {
	case d := <-done:
		t.Fatalf("%s returned while the first append still ran", d)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	for range 4 {
		<-done
	}
	if len(calls) != 2 || len(calls[0]) != 1 || calls[0][0] != "a" || len(calls[1]) != 3 ||
		calls[1][0] != "b" || calls[1][1] != "c" || calls[1][2] != "d" {
		t.Fatalf("appends %v, want [[a] [b c d]]", calls)
	}
	if q.running || len(q.pending) != 0 {
		t.Fatalf("queue left running=%v with %d pending", q.running, len(q.pending))
	}
}

// TestLogQueueHandsOver checks that a leader appends one batch and returns:
// the jobs that arrived meanwhile are appended by the first of their own
// callers, so no request waits on a stream of others' appends.
func TestLogQueueHandsOver(t *testing.T) {
	var q logQueue
	started, release := make(chan struct{}), make(chan struct{})
	leaderDone := make(chan struct{})
	go func() {
		q.run(&logJob{doc: "a", done: make(chan struct{})}, func([]*logJob) {
			close(started)
			<-release
		})
		close(leaderDone)
	}()
	<-started
	second, releaseSecond := make(chan []string, 1), make(chan struct{})
	b := &logJob{doc: "b", done: make(chan struct{})}
	bDone := make(chan struct{})
	go func() {
		q.run(b, func(jobs []*logJob) {
			var docs []string
			for _, j := range jobs {
				docs = append(docs, j.doc)
			}
			second <- docs
			<-releaseSecond
		})
		close(bDone)
	}()
	for !q.queued(b) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	select {
	case <-leaderDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the leader did not return after its own batch")
	}
	if docs := <-second; len(docs) != 1 || docs[0] != "b" {
		t.Fatalf("the second append took %v, want [b]", docs)
	}
	select {
	case <-bDone:
		t.Fatal("b returned before its append finished")
	case <-time.After(20 * time.Millisecond):
	}
	close(releaseSecond)
	<-bDone
	if q.running || len(q.pending) != 0 {
		t.Fatalf("queue left running=%v with %d pending", q.running, len(q.pending))
	}
}

// TestLogQueuePanic checks that a panicking append fails the jobs it held
// and passes the panic on, and that the jobs that arrived meanwhile are
// still appended, by the first of them, instead of waiting forever.
func TestLogQueuePanic(t *testing.T) {
	var q logQueue
	wait := func(j *logJob) {
		for !q.queued(j) {
			time.Sleep(time.Millisecond)
		}
	}
	noAppend := func([]*logJob) { t.Error("a job that was not leading appended") }

	// a leads alone and holds the queue while b and c arrive.
	startedA, releaseA := make(chan struct{}), make(chan struct{})
	go q.run(&logJob{doc: "a", done: make(chan struct{})}, func([]*logJob) {
		close(startedA)
		<-releaseA
	})
	<-startedA
	b := &logJob{doc: "b", done: make(chan struct{})}
	c := &logJob{doc: "c", done: make(chan struct{})}
	startedB, releaseB := make(chan struct{}), make(chan struct{})
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		q.run(b, func([]*logJob) {
			close(startedB)
			<-releaseB
			panic("boom")
		})
	}()
	wait(b)
	cDone := make(chan struct{})
	go func() { q.run(c, noAppend); close(cDone) }()
	wait(c)

	// b leads [b c]; d arrives while it runs, and b panics.
	close(releaseA)
	<-startedB
	d := &logJob{doc: "d", done: make(chan struct{})}
	var appended []string
	dDone := make(chan struct{})
	go func() {
		q.run(d, func(jobs []*logJob) {
			for _, j := range jobs {
				appended = append(appended, j.doc)
			}
		})
		close(dDone)
	}()
	wait(d)
	close(releaseB)
	if r := <-panicked; r != "boom" {
		t.Fatalf("the leader's panic was %v, want it passed on", r)
	}
	for name, ch := range map[string]chan struct{}{"c": cDone, "d": dDone} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s was never finished", name)
		}
	}
	if c.err == nil {
		t.Error("c, in the batch that panicked, has no error")
	}
	if d.err != nil || len(appended) != 1 || appended[0] != "d" {
		t.Errorf("after the panic: d err %v, appended %v; want nil, [d]", d.err, appended)
	}
	if q.running || len(q.pending) != 0 {
		t.Fatalf("queue left running=%v with %d pending", q.running, len(q.pending))
	}
}

// queued reports whether j waits in q.
func (q *logQueue) queued(j *logJob) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, p := range q.pending {
		if p == j {
			return true
		}
	}
	return false
}
