package mongotest

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestForwarderCarriesTheDriver(t *testing.T) {
	m := StartFakeMongod(t, Options{})
	fwd := StartForwarder(t, m.Addr())
	if fwd.Target() != m.Addr() || fwd.Addr() == m.Addr() {
		t.Fatalf("forwarder %s -> %s", fwd.Addr(), fwd.Target())
	}
	c := connectDriver(t, "mongodb://"+fwd.Addr()+"/?directConnection=true")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.Ping(ctx, nil); err != nil {
		t.Fatalf("ping through the forwarder: %v", err)
	}
	if fwd.Connections() < 1 || m.Connections() < fwd.Connections() || m.Count("ping") != 1 {
		t.Errorf("forwarder accepted %d, server %d (%s)", fwd.Connections(), m.Connections(), m.CountSummary())
	}
}

func TestForwarderCases(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T) (target string, after func(fwd *Forwarder, r *rawClient))
	}{
		{"round trip", func(t *testing.T) (string, func(*Forwarder, *rawClient)) {
			m := StartFakeMongod(t, Options{})
			return m.Addr(), func(_ *Forwarder, r *rawClient) {
				if b := r.mustMsg("admin", bson.D{{Key: "ping", Value: 1}}); b.Lookup("ok").Double() != 1 {
					t.Errorf("ping through the forwarder: %s", b)
				}
			}
		}},
		{"target refuses: the client is hung up on", func(t *testing.T) (string, func(*Forwarder, *rawClient)) {
			return ClosedPort(t), func(_ *Forwarder, r *rawClient) {
				if got := r.readAll(); len(got) != 0 {
					t.Errorf("got %d bytes from a dead tunnel", len(got))
				}
			}
		}},
		{"non-loopback target is never dialed", func(t *testing.T) (string, func(*Forwarder, *rawClient)) {
			return "mongo-0.internal:27017", func(_ *Forwarder, r *rawClient) {
				if got := r.readAll(); len(got) != 0 {
					t.Errorf("got %d bytes", len(got))
				}
			}
		}},
		{"Close ends live connections", func(t *testing.T) (string, func(*Forwarder, *rawClient)) {
			m := StartFakeMongod(t, Options{})
			return m.Addr(), func(fwd *Forwarder, r *rawClient) {
				r.mustMsg("admin", bson.D{{Key: "ping", Value: 1}})
				fwd.Close()
				if got := r.readAll(); len(got) != 0 {
					t.Errorf("got %d bytes after Close", len(got))
				}
			}
		}},
		{"the target hangs up", func(t *testing.T) (string, func(*Forwarder, *rawClient)) {
			m := StartFakeMongod(t, Options{Mode: ModeHTTP})
			return m.Addr(), func(_ *Forwarder, r *rawClient) {
				r.sendHello()
				if got := string(r.readAll()); got != HTTPReply {
					t.Errorf("got %q", got)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target, after := tc.setup(t)
			fwd := StartForwarder(t, target)
			after(fwd, dialRaw(t, fwd.Addr()))
		})
	}
}

func TestForwarderCloseLeavesNoGoroutines(t *testing.T) {
	m, err := NewFakeMongod(Options{})
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := NewForwarder(m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	busy := dialRaw(t, fwd.Addr())
	busy.mustMsg("admin", bson.D{{Key: "ping", Value: 1}})
	_ = dialRaw(t, fwd.Addr()) // idle
	fwd.Close()
	fwd.Close()
	m.Close()
	checkNoFixtureGoroutines(t)
}
