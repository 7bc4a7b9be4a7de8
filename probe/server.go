// Package probe is mongoconn's Prometheus probe server (`mongoconn serve`,
// DESIGN.md §8): a YAML config names connection strings, /probe runs the
// engine the command line uses on one of them and answers with its
// metrics, /metrics has the server's own. It never prints and never exits;
// it logs through the slog.Logger it is given.
package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mongoconn/mongoconn/netpath"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server timeouts and bounds.
const (
	// DefaultMaxConcurrentProbes bounds the probes running at once when
	// --max-concurrent-probes is not given: enough for hundreds of targets
	// scraped every 15 s (a healthy probe takes milliseconds), few enough
	// that file descriptors stay far below the usual limit of 1024.
	DefaultMaxConcurrentProbes = 32

	// ScrapeTimeoutOffset is taken off Prometheus's scrape timeout to give
	// a probe's budget: the answer must still travel back, and a late one
	// is thrown away.
	ScrapeTimeoutOffset = 500 * time.Millisecond

	// readHeaderTimeout bounds reading a request's headers: Prometheus
	// sends them at once; a client that trickles them is dropped.
	readHeaderTimeout = 5 * time.Second

	// readTimeout bounds reading a whole request; none of ours has a
	// body worth waiting for.
	readTimeout = 10 * time.Second

	// writeTimeout bounds a whole response: the longest probe
	// (MaxTargetTimeout) plus the wait for a probe slot and a margin.
	writeTimeout = 2*MaxTargetTimeout + 30*time.Second

	// idleTimeout closes keep-alive connections Prometheus stopped using.
	idleTimeout = 2 * time.Minute

	// maxHeaderBytes bounds a request's headers and URL.
	maxHeaderBytes = 16 << 10

	// shutdownGrace is how long probes in flight may go on after SIGTERM
	// before they are cancelled: with shutdownCancelWait it keeps the
	// whole shutdown under a second.
	shutdownGrace = 500 * time.Millisecond

	// shutdownCancelWait is how long cancelled probes get to write what
	// they learned before their connections are closed.
	shutdownCancelWait = 300 * time.Millisecond
)

// ScrapeTimeoutHeader is the header in which Prometheus sends its scrape
// timeout, in seconds.
const ScrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// Options configure a Server.
type Options struct {
	// ConfigFile is the YAML config (DESIGN.md §8).
	ConfigFile string
	// Loader reads it; its fields are the environment and defaults.
	Loader Loader
	// MaxConcurrentProbes bounds the probes running at once
	// (DefaultMaxConcurrentProbes when zero). A probe over the bound
	// waits for a slot up to half its budget, then gets 503.
	MaxConcurrentProbes int
	// Logger receives one line per request and the reload events (nothing
	// is logged when nil).
	Logger *slog.Logger
	// ServerAPI and ServerAPIStrict declare the Stable API in every probe
	// (--server-api 1, --server-api-strict).
	ServerAPI       string
	ServerAPIStrict bool
	// SSH, when its Bastion is set, is the bastion through which every
	// probe reaches its members (--ssh, --ssh-identity,
	// --ssh-known-hosts): each probe opens its own connection to it.
	SSH netpath.SSHConfig
	// Now is the clock of the reload timestamp (time.Now when nil).
	Now func() time.Time
}

// Server is the probe server. Create it with New.
type Server struct {
	opts    Options
	log     *slog.Logger
	cfg     atomic.Pointer[Config]
	metrics *serverMetrics
	slots   chan struct{}

	reloadMu sync.Mutex
}

// New loads the config and returns a server ready to Serve. A config that
// cannot be used is a *ConfigError.
func New(o Options) (*Server, error) {
	if o.MaxConcurrentProbes == 0 {
		o.MaxConcurrentProbes = DefaultMaxConcurrentProbes
	}
	if o.MaxConcurrentProbes < 0 {
		return nil, fmt.Errorf("the probe bound %d is negative", o.MaxConcurrentProbes)
	}
	s := &Server{
		opts:    o,
		log:     o.Logger,
		metrics: newServerMetrics(),
		slots:   make(chan struct{}, o.MaxConcurrentProbes),
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg, err := o.Loader.Load(o.ConfigFile)
	if err != nil {
		return nil, err
	}
	s.cfg.Store(cfg)
	s.metrics.loaded(cfg, s.now())
	s.log.Info("config loaded", "file", cfg.File, "targets", len(cfg.Targets))
	return s, nil
}

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// Config returns the configuration in force.
func (s *Server) Config() *Config { return s.cfg.Load() }

// Reload re-reads the config file. A file that cannot be used keeps the
// configuration in force, sets mongoconn_config_last_reload_successful to
// 0 and is returned as a *ConfigError.
func (s *Server) Reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	cfg, err := s.opts.Loader.Load(s.opts.ConfigFile)
	if err != nil {
		s.metrics.reloadOK.Set(0)
		s.log.Error("config reload failed; the previous configuration stays in force", "file", s.opts.ConfigFile, "err", err.Error())
		return err
	}
	s.cfg.Store(cfg)
	s.metrics.loaded(cfg, s.now())
	s.log.Info("config reloaded", "file", cfg.File, "targets", len(cfg.Targets))
	return nil
}

// Handler returns the server's endpoints: /probe, /metrics, /-/healthy,
// /-/reload and an index at /.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/probe", s.handleProbe)
	mux.Handle("/metrics", onlyGet(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})))
	mux.Handle("/-/healthy", onlyGet(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "OK")
	})))
	mux.HandleFunc("/-/reload", s.handleReload)
	mux.HandleFunc("/", s.handleIndex)
	return s.logRequests(mux)
}

// Serve answers on ln until ctx ends, then shuts down: probes in flight
// get shutdownGrace to finish, are then cancelled, and every connection
// is closed, all within a second. It returns nil after a shutdown asked by
// ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	probeCtx, cancelProbes := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelProbes()
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return probeCtx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.log.Info("listening", "address", ln.Addr().String(), "max_concurrent_probes", cap(s.slots))

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "in_flight", len(s.slots))
	shut := make(chan struct{})
	go func() {
		graceCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace+shutdownCancelWait)
		defer cancel()
		_ = srv.Shutdown(graceCtx)
		close(shut)
	}()
	select {
	case <-shut:
	case <-time.After(shutdownGrace):
		cancelProbes()
		select {
		case <-shut:
		case <-time.After(shutdownCancelWait):
		}
	}
	_ = srv.Close()
	<-served
	return nil
}

// probeRequest is what a /probe request asks for.
type probeRequest struct {
	target *Target
	module Module
	debug  bool
	budget time.Duration
}

// RequestError is a /probe request the server refuses (HTTP 400). Msg is
// one line that echoes nothing a caller could have used to smuggle a
// secret into a log.
type RequestError struct{ Msg string }

func (e *RequestError) Error() string { return e.Msg }

// parseProbeRequest checks a /probe query against the config.
func parseProbeRequest(cfg *Config, rawQuery, scrapeTimeout string) (*probeRequest, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, &RequestError{Msg: "the query string cannot be parsed"}
	}
	if _, ok := q["uri"]; ok {
		return nil, &RequestError{Msg: "the uri parameter is refused: this server dials only the targets of its config; name one with target=NAME"}
	}
	for k := range q {
		switch k {
		case "target", "module", "debug":
		default:
			if safeName(k) {
				return nil, &RequestError{Msg: fmt.Sprintf("unknown parameter %q: /probe takes target, module and debug", k)}
			}
			return nil, &RequestError{Msg: "unknown parameter: /probe takes target, module and debug"}
		}
		if len(q[k]) > 1 {
			return nil, &RequestError{Msg: fmt.Sprintf("the %s parameter is given %d times", k, len(q[k]))}
		}
	}
	name := q.Get("target")
	if name == "" {
		return nil, &RequestError{Msg: "no target: ask /probe?target=NAME with a name from the config"}
	}
	t := cfg.Targets[name]
	if t == nil {
		if safeName(name) {
			return nil, &RequestError{Msg: fmt.Sprintf("unknown target %q: it is not in the config", name)}
		}
		return nil, &RequestError{Msg: "unknown target: not a name from the config (names hold only letters, digits and - _ . :)"}
	}
	req := &probeRequest{target: t, module: t.Module}
	if v, ok := q["module"]; ok {
		m, known := ParseModule(v[0])
		if !known {
			if safeName(v[0]) {
				return nil, &RequestError{Msg: fmt.Sprintf("unknown module %q: use ping or diagnose", v[0])}
			}
			return nil, &RequestError{Msg: "unknown module: use ping or diagnose"}
		}
		req.module = m
	}
	if v, ok := q["debug"]; ok {
		b, err := strconv.ParseBool(v[0])
		if err != nil {
			return nil, &RequestError{Msg: "debug is true or false"}
		}
		req.debug = b
	}
	req.budget, err = probeBudget(t.Timeout, scrapeTimeout)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// probeBudget is the target's timeout capped by Prometheus's scrape
// timeout minus ScrapeTimeoutOffset (half the scrape timeout when that
// leaves nothing).
func probeBudget(timeout time.Duration, header string) (time.Duration, error) {
	if header == "" {
		return timeout, nil
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(header), 64)
	if err != nil || secs != secs || secs <= 0 || secs > MaxTargetTimeout.Seconds()*100 {
		return 0, &RequestError{Msg: ScrapeTimeoutHeader + " is not a positive number of seconds"}
	}
	scrape := time.Duration(secs * float64(time.Second))
	limit := scrape - ScrapeTimeoutOffset
	if limit <= 0 {
		limit = scrape / 2
	}
	return min(timeout, limit), nil
}

// requestLog is what a handler adds to its request's log line.
type requestLog struct {
	target, module, result string
}

type logKey struct{}

func (s *Server) handleProbe(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "/probe answers GET", http.StatusMethodNotAllowed)
		return
	}
	rl, _ := r.Context().Value(logKey{}).(*requestLog)
	if rl == nil {
		rl = &requestLog{}
	}
	req, err := parseProbeRequest(s.Config(), r.URL.RawQuery, r.Header.Get(ScrapeTimeoutHeader))
	if err != nil {
		rl.result = "bad request"
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rl.target, rl.module = req.target.Name, string(req.module)

	ctx, cancel := context.WithTimeout(r.Context(), req.budget)
	defer cancel()
	if !s.acquire(ctx, req.budget/2) {
		rl.result = resultRejected
		s.metrics.probes.WithLabelValues(req.target.Name, resultRejected).Inc()
		w.Header().Set("Retry-After", "1")
		http.Error(w, fmt.Sprintf("%d probes are running, the most --max-concurrent-probes allows, and none ended within half the probe's budget", cap(s.slots)), http.StatusServiceUnavailable)
		return
	}
	s.metrics.inFlight.Inc()
	budget := time.Until(deadlineOf(ctx, req.budget))
	start := time.Now()
	res, err := run(ctx, runSpec{
		target: req.target, module: req.module, budget: budget, debug: req.debug,
		serverAPI: s.opts.ServerAPI, serverAPIStrict: s.opts.ServerAPIStrict, ssh: s.opts.SSH,
	})
	elapsed := time.Since(start)
	s.metrics.inFlight.Dec()
	s.release()

	outcome := resultFailure
	if err == nil && res.OK {
		outcome = resultSuccess
	}
	rl.result = outcome
	s.metrics.probes.WithLabelValues(req.target.Name, outcome).Inc()
	if err != nil {
		s.log.Error("probe could not run", "target", req.target.Name, "err", err.Error())
		if req.debug {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	if req.debug {
		w.Header().Set("Content-Type", "application/json")
		if err := res.writeJSON(w); err != nil {
			s.log.Error("writing the debug report", "target", req.target.Name, "err", err.Error())
		}
		return
	}
	promhttp.HandlerFor(probeRegistry(res, elapsed), promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// acquire takes a probe slot, waiting at most wait (and never past ctx).
func (s *Server) acquire(ctx context.Context, wait time.Duration) bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case s.slots <- struct{}{}:
		return true
	case <-timer.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (s *Server) release() { <-s.slots }

// deadlineOf is ctx's deadline, or budget from now without one.
func deadlineOf(ctx context.Context, budget time.Duration) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	return time.Now().Add(budget)
}

func (s *Server) handleReload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "/-/reload answers POST", http.StatusMethodNotAllowed)
		return
	}
	if err := s.Reload(); err != nil {
		http.Error(w, "config not reloaded, the previous one stays in force: "+oneLine(err.Error()), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "config reloaded\n")
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var b strings.Builder
	b.WriteString("mongoconn serve: the MongoDB connection probe for Prometheus\n\n")
	b.WriteString("GET  /probe?target=NAME[&module=ping|diagnose][&debug=true]\n")
	b.WriteString("GET  /metrics\nGET  /-/healthy\nPOST /-/reload\n\ntargets:\n")
	cfg := s.Config()
	for _, n := range cfg.Names() {
		fmt.Fprintf(&b, "  %s (%s)\n", n, cfg.Targets[n].Module)
	}
	_, _ = io.WriteString(w, b.String())
}

// onlyGet answers 405 to anything but GET and HEAD.
func onlyGet(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, r.URL.Path+" answers GET", http.StatusMethodNotAllowed)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request: method, path (never the query,
// which a caller controls), status, duration and, for probes, the
// target's name, module and result.
func (s *Server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rl := &requestLog{}
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), logKey{}, rl)))
		attrs := []any{
			"method", r.Method,
			"path", r.URL.Path,
			"status", rec.status,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"remote", r.RemoteAddr,
		}
		if rl.target != "" {
			attrs = append(attrs, "target", rl.target, "module", rl.module)
		}
		if rl.result != "" {
			attrs = append(attrs, "result", rl.result)
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		s.log.Log(r.Context(), level, "request", attrs...)
	})
}

// oneLine keeps the first line of s.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// IsConfigError reports whether err is a problem of the config file.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}
