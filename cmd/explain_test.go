package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func runExplain(t *testing.T, output string, stdinTTY bool, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ios, in, out, errOut := Test()
	ios.SetStdinTTY(stdinTTY)
	in.WriteString(stdin)
	f := NewFactory(ios, func(string) string { return "" })
	f.Global.Output = output
	c := NewCmdExplain(f, nil)
	c.SetArgs(args)
	c.SetIn(ios.In)
	c.SetOut(ios.Out)
	c.SetErr(ios.ErrOut)
	c.SilenceErrors, c.SilenceUsage = true, true
	err = c.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestExplainCommand(t *testing.T) {
	const refused = "dial tcp 127.0.0.1:27017: connect: connection refused"
	tests := []struct {
		name       string
		output     string
		stdinTTY   bool
		stdin      string
		args       []string
		wantErr    any // nil, or a pointer to the error type errors.As must find
		wantOut    []string
		notWantOut []string
	}{
		{"argument", "text", true, "", []string{refused}, nil,
			[]string{"recognised tcp.refused", "Nothing is listening on the port", "mongoconn diagnose 'mongodb://127.0.0.1:27017/'"}, nil},
		{"words joined", "text", true, "", strings.Fields(refused), nil, []string{"tcp.refused"}, nil},
		{"dash reads stdin", "text", true, refused, []string{"-"}, nil, []string{"tcp.refused"}, nil},
		{"pipe without argument", "text", false, "pymongo.errors.AutoReconnect: connection closed\n", nil, nil, []string{"topology.failover"}, nil},
		{"json", "json", true, "", []string{refused}, nil, []string{`"command": "explain"`, `"id": "tcp.refused"`, `"target": ""`}, nil},
		{"password masked", "text", true, "", []string{"mongodb://admin:hunter2@db:27017/ " + refused}, nil,
			[]string{"mongodb://admin:****@db:27017/"}, []string{"hunter2"}},
		{"nothing matches", "text", true, "", []string{"all good here"}, new(*recognizedError),
			[]string{"FAIL nothing in the text matches a known failure; next: mongoconn diagnose", `mongoconn diagnose "$MONGODB_URI"`}, nil},
		{"nothing matches, json", "json", true, "", []string{"all good here"}, new(*recognizedError),
			[]string{`"findings": []`, "nothing in the text matches"}, nil},
		{"a cause the text cannot tell", "text", true, "", []string{"MongoServerSelectionError: Server selection timed out after 30000 ms"}, nil,
			[]string{"FAIL recognised select.timeout, which names no cause: the text alone cannot tell", `run mongoconn diagnose "$MONGODB_URI"`}, nil},
		{"ambiguous", "text", true, "", []string{"MongoServerSelectionError: connection <monitor> to 127.0.0.1:27017 closed"}, nil,
			[]string{"tls.server-requires-tls or server.not-mongodb (the text alone cannot tell which), select.timeout"}, nil},
		{"not a connection problem", "text", true, "", []string{"MongoServerError: not authorized on test to execute command { find: \"orders\", filter: {} }"}, nil,
			[]string{"OK not a connection problem", "role that allows the command find on database test", `role: "readWrite", db: "test"`}, []string{"auth.failed"}},
		{"no text on a terminal", "text", true, "", nil, new(*UsageError), nil, nil},
		{"empty text", "text", true, "", []string{"  "}, new(*UsageError), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runExplain(t, tt.output, tt.stdinTTY, tt.stdin, tt.args...)
			switch target := tt.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			case **recognizedError:
				if !errors.As(err, target) {
					t.Fatalf("err = %v, want a recognizedError", err)
				}
			case **UsageError:
				if !errors.As(err, target) {
					t.Fatalf("err = %v, want a UsageError", err)
				}
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWantOut {
				if strings.Contains(out, w) {
					t.Errorf("stdout holds %q:\n%s", w, out)
				}
			}
			if tt.output == "json" && out != "" {
				var v map[string]any
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Errorf("stdout is not JSON: %v\n%s", err, out)
				}
			}
		})
	}
}

// stuckTestGuard bounds how long the test waits for a read that should
// stop at once: far above any scheduling delay, so it only catches a hang.
const stuckTestGuard = 10 * time.Second

// blockingReader never returns, like a terminal nobody types into.
type blockingReader struct{ stop chan struct{} }

func (b blockingReader) Read([]byte) (int, error) { <-b.stop; return 0, io.EOF }

func TestExplainStdinInterrupted(t *testing.T) {
	r := blockingReader{stop: make(chan struct{})}
	defer close(r.stop)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := readExplainInput(ctx, r)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		var ierr *InterruptedError
		if !errors.As(err, &ierr) {
			t.Fatalf("err = %v, want an InterruptedError", err)
		}
	case <-time.After(stuckTestGuard):
		t.Fatal("reading stdin did not stop when the context was cancelled")
	}
}
