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

// TestLogQueuePanic checks that a panicking append fails the jobs it held
// and those waiting, instead of leaving them waiting forever, and that the
// queue works afterwards.
func TestLogQueuePanic(t *testing.T) {
	var q logQueue
	started, release := make(chan struct{}), make(chan struct{})
	waiter := &logJob{doc: "b", done: make(chan struct{})}
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		q.run(&logJob{doc: "a", done: make(chan struct{})}, func([]*logJob) {
			close(started)
			<-release
			panic("boom")
		})
	}()
	<-started
	go q.run(waiter, func([]*logJob) { t.Error("the waiting job was appended by a second leader") })
	for !q.queued(waiter) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if r := <-panicked; r != "boom" {
		t.Fatalf("the leader's panic was %v, want it passed on", r)
	}
	select {
	case <-waiter.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting job was never finished")
	}
	if waiter.err == nil {
		t.Fatal("the waiting job of a panicked append has no error")
	}
	ran := false
	q.run(&logJob{doc: "c", done: make(chan struct{})}, func([]*logJob) { ran = true })
	if !ran {
		t.Fatal("no append after a panic")
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
