package main

import (
	"context"
	"net"
	"os"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Fixture commands for the explain_* transcripts.
func init() {
	scriptCmds["drivererror"] = cmdDriverError
}

// driverErrorSelection is the server-selection timeout of drivererror:
// ample for the driver to connect to a loopback fixture and read its
// hello, short enough to keep a transcript fast when no server qualifies.
const driverErrorSelection = 700 * time.Millisecond

// driverErrorBudget bounds the whole connect-and-ping of drivererror, so
// that a fixture that misbehaves fails the transcript instead of hanging it.
const driverErrorBudget = 10 * time.Second

// drivererror FILE URI: connect to URI with the Go driver, run ping, and
// write the error the driver returns to FILE, as an application would log
// it. Host names other than localhost fail as unresolvable without any
// DNS query, so that nothing leaves the loopback interface. It fails when
// ping succeeds.
func cmdDriverError(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: drivererror FILE URI")
	}
	ctx, cancel := context.WithTimeout(context.Background(), driverErrorBudget)
	defer cancel()
	opts := options.Client().ApplyURI(args[1]).
		SetServerSelectionTimeout(driverErrorSelection).
		SetDialer(loopbackOnlyDialer{})
	client, err := mongo.Connect(opts)
	if err == nil {
		defer func() { _ = client.Disconnect(context.Background()) }()
		err = client.Ping(ctx, nil)
	}
	if err == nil {
		ts.Fatalf("drivererror: ping to %s succeeded", args[1])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(err.Error()+"\n"), 0o644))
}

// loopbackOnlyDialer dials loopback addresses and localhost only; any
// other host fails the way an unresolvable name does.
type loopbackOnlyDialer struct{}

func (loopbackOnlyDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}
