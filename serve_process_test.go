package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/internal/mongotest"
)

// `mongoconn serve` as a process: exit codes, signals, logs and secrets.

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveProc is a running `mongoconn serve`.
type serveProc struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	file   string
	url    string
	done   chan struct{}
	err    error
}

// listeningRE finds the listening address in a logfmt or JSON log line.
var listeningRE = regexp.MustCompile(`(?:msg=listening address=|"msg":"listening","address":")([^"\s]+)`)

// startServe writes config and runs this test binary as `mongoconn serve`
// on a loopback port of its own choosing, with env added to the
// environment. It returns once the server listens.
func startServe(t *testing.T, config string, env []string, args ...string) *serveProc {
	t.Helper()
	p := launchServe(t, config, env, args...)
	deadline := time.Now().Add(serveGuard)
	for {
		if m := listeningRE.FindStringSubmatch(p.stderr.String()); m != nil {
			p.url = "http://" + m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("serve exited before listening: %v\nstderr:\n%s", p.err, p.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never listened\nstderr:\n%s", p.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// launchServe starts serve without waiting for it.
func launchServe(t *testing.T, config string, env []string, args ...string) *serveProc {
	t.Helper()
	file := filepath.Join(t.TempDir(), "probe.yml")
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	all := append([]string{"serve", "--config", file, "--listen", "127.0.0.1:0"}, args...)
	c := exec.Command(os.Args[0], all...)
	c.Env = append(append(os.Environ(), "MONGOCONN_RUN_MAIN=1", "MONGODB_URI=", "NO_COLOR=1"), env...)
	p := &serveProc{cmd: c, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, file: file, done: make(chan struct{})}
	c.Stdout, c.Stderr = p.stdout, p.stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = c.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = c.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait returns the exit code, failing after serveGuard.
func (p *serveProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(serveGuard):
		_ = p.cmd.Process.Kill()
		t.Fatalf("serve still running after %s\nstderr:\n%s", serveGuard, p.stderr)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

func (p *serveProc) rewrite(t *testing.T, config string) {
	t.Helper()
	if err := os.WriteFile(p.file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (p *serveProc) signal(t *testing.T, s syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(s); err != nil {
		t.Fatal(err)
	}
}

func TestServeBadConfigExits2(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		args         []string
		want         string
	}{
		{"unknown field", "targets:\n  a:\n    uri: mongodb://127.0.0.1/\n    primry: true\n", nil, `probe.yml:4: target "a": unknown field "primry"`},
		{"syntax", "targets:\n  a: [\n", nil, "probe.yml: yaml:"},
		{"missing password file", "targets:\n  a:\n    uri: mongodb://u@127.0.0.1/\n    password_file: /nonexistent/pw\n", nil, "probe.yml:4"},
		{"bad uri", "targets:\n  a:\n    uri: mongodb://u:Sentinel-Cfg9@127.0.0.1:99999/\n", nil, "probe.yml:3"},
		{"bad bound", "targets:\n  a:\n    uri: mongodb://127.0.0.1/\n", []string{"--max-concurrent-probes", "0"}, "--max-concurrent-probes 0"},
		{"bad log format", "targets:\n  a:\n    uri: mongodb://127.0.0.1/\n", []string{"--log-format", "xml"}, "--log-format"},
		{"argument", "targets:\n  a:\n    uri: mongodb://127.0.0.1/\n", []string{"extra"}, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := launchServe(t, tc.config, nil, tc.args...)
			if code := p.wait(t); code != 2 {
				t.Fatalf("exit %d, want 2\nstderr:\n%s", code, p.stderr)
			}
			stderr := p.stderr.String()
			if !strings.Contains(stderr, "mongoconn: error: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, stderr)
			}
			if strings.Contains(stderr, "Sentinel") {
				t.Errorf("the password is on stderr:\n%s", stderr)
			}
		})
	}
	// No --config at all.
	c := exec.Command(os.Args[0], "serve")
	c.Env = append(os.Environ(), "MONGOCONN_RUN_MAIN=1")
	out, err := c.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !bytes.Contains(out, []byte("--config")) {
		t.Errorf("serve without --config: %v\n%s", err, out)
	}
}

// reloadGauge reads mongoconn_config_last_reload_successful from /metrics.
func reloadGauge(t *testing.T, base string) float64 {
	t.Helper()
	_, body := httpGet(t, base+"/metrics")
	v, ok := promSamples(t, body)["mongoconn_config_last_reload_successful"]
	if !ok {
		t.Fatalf("no reload gauge:\n%s", body)
	}
	return v
}

// TestServeReloadSignals: SIGHUP and POST /-/reload with a valid and an
// invalid file.
func TestServeReloadSignals(t *testing.T) {
	refused := mongotest.ClosedPort(t)
	cfg := func(name string) string {
		return fmt.Sprintf("targets:\n  %s:\n    uri: mongodb://%s/\n    timeout: 2s\n", name, refused)
	}
	p := startServe(t, cfg("first"), nil)
	probeCode := func(name string) int {
		code, _ := httpGet(t, p.url+"/probe?target="+name)
		return code
	}
	if probeCode("first") != 200 || reloadGauge(t, p.url) != 1 {
		t.Fatal("not serving the first config")
	}

	// SIGHUP with a valid file.
	p.rewrite(t, cfg("second"))
	p.signal(t, syscall.SIGHUP)
	waitUntil(t, "SIGHUP to load the second config", func() bool { return probeCode("second") == 200 })
	if probeCode("first") != 400 {
		t.Error("the first target is still served")
	}

	// SIGHUP with an invalid file: the second config stays, gauge 0.
	p.rewrite(t, "targets:\n  third:\n    uri: mongodb://127.0.0.1/\n    modul: ping\n")
	p.signal(t, syscall.SIGHUP)
	waitUntil(t, "the failed reload", func() bool { return reloadGauge(t, p.url) == 0 })
	if probeCode("second") != 200 || probeCode("third") != 400 {
		t.Error("a failed reload changed the targets")
	}
	if !strings.Contains(p.stderr.String(), "config reload failed") || !strings.Contains(p.stderr.String(), `unknown field \"modul\"`) {
		t.Errorf("the failed reload is not logged:\n%s", p.stderr)
	}

	// POST /-/reload with the file fixed.
	p.rewrite(t, cfg("fourth"))
	resp, err := (&http.Client{Timeout: serveGuard}).Post(p.url+"/-/reload", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || reloadGauge(t, p.url) != 1 || probeCode("fourth") != 200 {
		t.Errorf("POST /-/reload = %d, gauge %v", resp.StatusCode, reloadGauge(t, p.url))
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 143 {
		t.Errorf("exit %d after SIGTERM, want 143", code)
	}
}

// waitUntil polls cond, failing after serveGuard.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(serveGuard); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeSIGTERMStopsProbes: SIGTERM while a probe of a silent server
// (a minute's budget) is in flight: the process exits 143 without waiting
// for the minute, and the scraper gets an answer or a closed connection.
func TestServeSIGTERMStopsProbes(t *testing.T) {
	silent, err := mongotest.NewSilentListener()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(silent.Close)
	p := startServe(t, fmt.Sprintf("targets:\n  silent:\n    uri: mongodb://%s/\n    timeout: 1m\n", silent.Addr()), nil)
	answered := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Timeout: serveGuard}).Get(p.url + "/probe?target=silent")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		answered <- err
	}()
	waitUntil(t, "the probe to reach the silent server", func() bool { return silent.Connections() > 0 })
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 143 {
		t.Errorf("exit %d, want 143\nstderr:\n%s", code, p.stderr)
	}
	select {
	case err := <-answered:
		var ue *url.Error
		if err != nil && !errors.As(err, &ue) {
			t.Errorf("the probe in flight: %v", err)
		}
	case <-time.After(serveGuard):
		t.Fatal("the probe in flight never ended")
	}
	if !strings.Contains(p.stderr.String(), "shutting down") {
		t.Errorf("no shutdown log line:\n%s", p.stderr)
	}
}

// TestServeSecretsNeverLeave: a password from each of the four sources
// (password_file, password_env, uri_file, uri_env) never appears in
// /probe, the debug report, /metrics, the index, any error answer, or the
// log, whatever the target does with it: wrong password, refused port,
// silent server, a reload that fails.
func TestServeSecretsNeverLeave(t *testing.T) {
	secrets := map[string]string{
		"file":    "Pf7@Kq:z/Wm%1",
		"env":     "Pe3#Rt+Yu Io",
		"urifile": "Uf9&Hj=Nb?Vc",
		"urienv":  "Ue5!Lp;Dx]Sa",
	}
	m := mongotest.StartFakeMongod(t, mongotest.Options{Users: []mongotest.User{{Name: "alice", Password: "not-any-of-them"}, {Name: "bob", Password: secrets["env"]}}})
	refused := mongotest.ClosedPort(t)
	silent, err := mongotest.NewSilentListener()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(silent.Close)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	uriFile := filepath.Join(dir, "uri")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(pwFile, []byte(secrets["file"]+"\n"), 0o600))
	must(os.WriteFile(uriFile, []byte(credURI("alice", secrets["urifile"], refused, "appName=probe")+"\n"), 0o600))
	env := []string{
		"PROBE_PW=" + secrets["env"],
		"PROBE_URI=" + credURI("alice", secrets["urienv"], silent.Addr(), ""),
	}
	config := fmt.Sprintf(`targets:
  from-file:
    uri: mongodb://alice@%s/
    password_file: %s
    timeout: 3s
  from-env:
    uri: mongodb://bob@%s/?authSource=admin
    password_env: PROBE_PW
    timeout: 3s
  from-env-wrong-user:
    uri: mongodb://alice@%s/
    password_env: PROBE_PW
    timeout: 3s
  from-uri-file:
    uri_file: %s
    timeout: 3s
  from-uri-env:
    uri_env: PROBE_URI
    timeout: 1s
`, m.Addr(), pwFile, m.Addr(), m.Addr(), uriFile)
	p := startServe(t, config, env, "--log-format", "json")

	var outputs bytes.Buffer
	keep := func(what, body string) { fmt.Fprintf(&outputs, "== %s\n%s\n", what, body) }
	targets := []string{"from-file", "from-env", "from-env-wrong-user", "from-uri-file", "from-uri-env"}
	for _, name := range targets {
		for _, q := range []string{"", "&module=diagnose", "&debug=true", "&module=diagnose&debug=true"} {
			code, body := httpGet(t, p.url+"/probe?target="+name+q)
			if code != 200 {
				t.Errorf("%s%s: status %d", name, q, code)
			}
			keep(name+q, body)
		}
	}
	// The paths ran: the right password authenticated, the others did not.
	_, body := httpGet(t, p.url+"/probe?target=from-env")
	if !strings.Contains(body, "probe_success 1") {
		t.Errorf("from-env did not authenticate:\n%s", body)
	}
	_, body = httpGet(t, p.url+"/probe?target=from-file")
	if !strings.Contains(body, `probe_mongodb_finding{id="auth.failed",severity="error"} 1`) {
		t.Errorf("from-file is not auth.failed:\n%s", body)
	}
	for i, path := range []string{"/metrics", "/", "/-/healthy", "/probe?uri=" + url.QueryEscape(credURI("alice", secrets["file"], "10.0.0.1", "")), "/probe?target=" + url.QueryEscape(secrets["env"])} {
		_, body := httpGet(t, p.url+path)
		keep(fmt.Sprintf("request %d", i), body) // the path itself holds secrets
	}
	// A reload that fails on a connection string holding a password.
	p.rewrite(t, config+"  broken:\n    uri: "+credURI("alice", secrets["urienv"], "127.0.0.1:99999", "")+"\n")
	p.signal(t, syscall.SIGHUP)
	waitUntil(t, "the failed reload", func() bool { return reloadGauge(t, p.url) == 0 })
	p.signal(t, syscall.SIGTERM)
	p.wait(t)

	keep("stdout", p.stdout.String())
	keep("stderr", p.stderr.String())
	all := outputs.Bytes()
	for source, secret := range secrets {
		if leak, at := findLeak(all, leakForms(secret)); at >= 0 {
			lo, hi := max(0, at-200), min(len(all), at+200)
			t.Errorf("the %s password leaked as %q:\n...%s...", source, leak, all[lo:hi])
		}
	}
	if !strings.Contains(p.stderr.String(), `"msg":"request"`) || !strings.Contains(p.stderr.String(), `"target":"from-uri-env"`) {
		t.Errorf("no JSON request log:\n%s", p.stderr)
	}
	if !bytes.Contains(all, []byte("alice:****@")) {
		t.Error("no redacted connection string in any output: the debug reports did not run")
	}
}
