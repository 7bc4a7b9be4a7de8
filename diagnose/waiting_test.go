package diagnose

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// waitLog records the engine's Waiting calls.
type waitLog struct {
	mu      sync.Mutex
	started []string // "stage address: what"
	open    int
}

func (l *waitLog) waiting(stage report.Stage, address, what string) func() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.started = append(l.started, string(stage)+" "+address+": "+what)
	l.open++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.open--
			l.mu.Unlock()
		})
	}
}

func (l *waitLog) has(want string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.started {
		if s == want {
			return true
		}
	}
	return false
}

// TestWaitingSaysWhatAProbeWaitsFor: each probe that waits on the network
// says so while it waits, and every wait ends by the time the command
// returns.
func TestWaitingSaysWhatAProbeWaitsFor(t *testing.T) {
	srv := mongotest.StartFakeMongod(t, mongotest.Options{})
	tg, err := connstr.ParseTarget(srv.URI())
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"ping", "diagnose"} {
		log := &waitLog{}
		e := NewEngine()
		e.Timeout = 5 * time.Second
		e.Waiting = log.waiting
		var r *report.Report
		if cmd == "ping" {
			r, err = e.Ping(context.Background(), tg, PingRequest{})
		} else {
			r, err = e.Diagnose(context.Background(), tg)
		}
		if err != nil || !r.OK {
			t.Fatalf("%s: %v, ok=%v %q", cmd, err, r != nil && r.OK, r.Verdict)
		}
		for _, want := range []string{
			"dns : the DNS answers",
			"tcp " + srv.Addr() + ": the TCP handshake",
			"hello " + srv.Addr() + ": a reply to hello",
			"ping : the Go driver to select a server and answer ping",
		} {
			if !log.has(want) {
				t.Errorf("%s: no wait %q among %q", cmd, want, log.started)
			}
		}
		if log.open != 0 {
			t.Errorf("%s: %d wait(s) never ended", cmd, log.open)
		}
	}
}

// TestWaitingWhileSilent: while a host accepts and never answers, the wait
// on its hello is open, and it ends with the command.
func TestWaitingWhileSilent(t *testing.T) {
	l, err := mongotest.NewSilentListener()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tg, err := connstr.ParseTarget("mongodb://" + l.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	log := &waitLog{}
	seen := make(chan struct{})
	var once sync.Once
	e := NewEngine()
	e.Timeout = 300 * time.Millisecond
	e.Waiting = func(stage report.Stage, address, what string) func() {
		done := log.waiting(stage, address, what)
		if stage == report.StageHello {
			once.Do(func() { close(seen) })
		}
		return done
	}
	if _, err := e.Ping(context.Background(), tg, PingRequest{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-seen:
	default:
		t.Errorf("no wait on the silent host's hello: %q", log.started)
	}
	if log.open != 0 {
		t.Errorf("%d wait(s) never ended", log.open)
	}
}
