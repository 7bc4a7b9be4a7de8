// Package ferret starts FerretDB, a real MongoDB wire-protocol server, in
// the test's own process: v1 with its SQLite handler, on 127.0.0.1, with
// its data in a temporary directory. It is the one package that imports
// FerretDB, whose dependencies (grpc, OpenTelemetry, pgx, SQLite) are most
// of what a test binary that links it compiles: import it only from tests
// that need a real server, and never from a package that holds a fuzz
// target, so that fuzzing never instruments all of it. The fake mongod,
// replica sets and the other fixtures are in internal/mongotest, without
// FerretDB.
//
//	func TestAgainstARealServer(t *testing.T) {
//		db := ferret.Start(t, ferret.Options{})
//		// ... point the code under test at db.URI or db.Addr ...
//	}
//
// The demo starts one too (New), so its command-line parser, which has a
// fuzz target, lives apart in internal/demo/cmdline.
package ferret

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// ferretStopTimeout bounds how long a test waits for FerretDB to close its
// listeners and SQLite files; it normally takes a few milliseconds.
const ferretStopTimeout = 10 * time.Second

// ferretNewMu serialises ferretdb.New, which sets a package-level version
// field of FerretDB's and so races with itself when tests start several
// servers at once.
var ferretNewMu sync.Mutex

// Options configures Start. The zero value starts a plain TCP listener.
type Options struct {
	// TLSCertFile and TLSKeyFile, when set, make FerretDB listen with TLS
	// instead of plain TCP. TLSCAFile asks for client certificates signed
	// by that CA.
	TLSCertFile string
	TLSKeyFile  string
	TLSCAFile   string
}

// DB is a running FerretDB.
type DB struct {
	// Addr is the host:port it listens on (127.0.0.1).
	Addr string
	// URI is a connection string for it.
	URI string

	cancel context.CancelFunc
	done   chan struct{}
}

// Start starts FerretDB v1 with the SQLite handler in a temporary
// directory, listening on 127.0.0.1:0, and stops it when tb ends.
func Start(tb testing.TB, o Options) *DB {
	tb.Helper()
	f, err := New(tb.TempDir(), o)
	if err != nil {
		tb.Fatalf("start FerretDB: %v", err)
	}
	tb.Cleanup(f.Close)
	return f
}

// New starts FerretDB storing its data under dir. The caller must Close
// it. It exists for callers without a testing.TB: testscript commands and
// the ferretdb program.
func New(dir string, o Options) (*DB, error) {
	return NewAt(dir, "127.0.0.1:0", o)
}

// NewAt is New listening on addr, for tests that announce an address
// before the server exists (readiness waits).
func NewAt(dir, addr string, o Options) (*DB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cfg := &ferretdb.Config{
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: dir + "/"}).String(),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})),
	}
	if o.TLSCertFile != "" {
		cfg.Listener = ferretdb.ListenerConfig{
			TLS:         addr,
			TLSCertFile: o.TLSCertFile,
			TLSKeyFile:  o.TLSKeyFile,
			TLSCAFile:   o.TLSCAFile,
		}
	} else {
		cfg.Listener = ferretdb.ListenerConfig{TCP: addr}
	}
	ferretNewMu.Lock() // ferretdb.New writes a package-level variable of FerretDB's
	db, err := ferretdb.New(cfg)
	ferretNewMu.Unlock()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &DB{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		_ = db.Run(ctx)
	}()
	f.URI = db.MongoDBURI() // blocks until the listener is bound
	u, err := url.Parse(f.URI)
	if err != nil {
		f.Close()
		return nil, err
	}
	f.Addr = u.Host
	if _, _, err := net.SplitHostPort(f.Addr); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Close stops FerretDB and waits for it to finish.
func (f *DB) Close() {
	f.cancel()
	select {
	case <-f.done:
	case <-time.After(ferretStopTimeout):
	}
}
