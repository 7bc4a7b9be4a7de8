package diagnose

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/report"
)

// awsTestSecret is a secret access key the reports must never show.
const awsTestSecret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"

// recordingTransport stands for the network under the metadata guard:
// it records every request and answers none, so nothing leaves the
// process whatever the driver asks.
type recordingTransport struct {
	mu    sync.Mutex
	hosts []string
}

var errNoNetworkInTests = errors.New("no HTTP request leaves a test")

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.hosts = append(r.hosts, req.URL.Hostname())
	r.mu.Unlock()
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return nil, errNoNetworkInTests
}

func (r *recordingTransport) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.hosts...)
}

// clearAWSEnv empties the AWS variables of the process for the test: the
// driver reads them itself, and a developer's own must not change a case.
// It also points HTTP_PROXY and HTTPS_PROXY at a port that refuses, so that
// nothing could leave this machine even if the metadata guard broke.
func clearAWSEnv(t *testing.T) {
	refusing := "http://" + mongotest.ClosedPort(t)
	t.Setenv("HTTP_PROXY", refusing)
	t.Setenv("HTTPS_PROXY", refusing)
	t.Setenv("NO_PROXY", "")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
	}
}

func TestAWSCredentials(t *testing.T) {
	clearAWSEnv(t)
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte("[default]\naws_access_key_id=AKIAFILE\naws_secret_access_key="+awsTestSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("eyJhbGciOi"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		env      map[string]string
		imds     bool
		want     string   // the finding id expected, "" for none of AWS's
		evidence []string // in auth.aws-no-credentials
		http     []string // hosts the driver's HTTP requests went to
		driver   bool     // the driver authenticated at all
	}{
		{name: "no source", env: map[string]string{"HOME": t.TempDir()}, want: catalogue.IDAuthAWSNoCredentials,
			evidence: []string{"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment: none", "the shared credentials file", "web-identity token", "container credentials", "the driver was not started"}},
		{name: "keys in the environment", env: map[string]string{"HOME": t.TempDir(), "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": awsTestSecret},
			want: catalogue.IDAuthFailed, driver: true},
		{name: "shared credentials file", env: map[string]string{"HOME": home}, want: catalogue.IDAuthFailed, driver: true},
		{name: "metadata service allowed", env: map[string]string{"HOME": t.TempDir()}, imds: true, want: catalogue.IDAuthAWSNoCredentials,
			evidence: []string{"asked the EC2 instance metadata service, which gave none"}, http: []string{"169.254.169.254"}, driver: true},
		{name: "web identity that fails, metadata service refused", env: map[string]string{"HOME": t.TempDir(), "AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/app"},
			want: catalogue.IDAuthAWSNoCredentials, evidence: []string{"the configured source gave no credentials: a web-identity token", "mongoconn refused that request"}, http: []string{"sts.amazonaws.com"}, driver: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := mongotest.StartFakeMongod(t, mongotest.Options{AWSAuth: true})
			rec := &recordingTransport{}
			e := NewEngine()
			e.Timeout = tlsTestBudget
			e.Getenv = func(k string) string { return c.env[k] }
			for _, k := range []string{"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
				// The driver reads these itself, from the process.
				t.Setenv(k, c.env[k])
			}
			e.HTTPTransport = rec
			e.AWSIMDS = c.imds
			r := diagnoseURI(t, e, "mongodb://"+srv.Addr()+"/?authMechanism=MONGODB-AWS&authSource=$external")
			if _, ok := findingOf(r, c.want); !ok || r.OK {
				t.Fatalf("want %s: %s", c.want, findingsText(r))
			}
			if f, ok := findingOf(r, catalogue.IDAuthAWSNoCredentials); ok != (c.want == catalogue.IDAuthAWSNoCredentials) {
				t.Errorf("auth.aws-no-credentials: %v", f.Evidence)
			} else if ok {
				ev := strings.Join(f.Evidence, "\n")
				for _, w := range c.evidence {
					if !strings.Contains(ev, w) {
						t.Errorf("evidence lacks %q:\n%s", w, ev)
					}
				}
			}
			if got := rec.seen(); strings.Join(got, ",") != strings.Join(c.http, ",") && !(len(c.http) > 0 && len(got) > 0 && allEqual(got, c.http[0])) {
				t.Errorf("HTTP requests to %v, want %v", got, c.http)
			}
			for _, h := range rec.seen() {
				if connfind.IsMetadataHost(h) && !c.imds {
					t.Errorf("the metadata service %s was asked without --aws-imds", h)
				}
			}
			// MONGODB-AWS authenticates against $external only: no
			// string that moves it elsewhere may be suggested.
			for _, f := range r.Findings {
				if strings.Contains(f.SuggestedURI, "authSource=admin") {
					t.Errorf("%s suggests %s", f.ID, f.SuggestedURI)
				}
			}
			if started := srv.Count("saslStart") > 0; started != c.driver {
				t.Errorf("saslStart sent: %v, want %v (%s)", started, c.driver, srv.CountSummary())
			}
			assertNoSecret(t, r, awsTestSecret)
		})
	}
}

func allEqual(ss []string, v string) bool {
	for _, s := range ss {
		if s != v {
			return false
		}
	}
	return true
}

// TestMetadataGuard: the guard refuses every metadata address unless
// allowed, and passes anything else on.
func TestMetadataGuard(t *testing.T) {
	for _, u := range []string{"http://169.254.169.254/latest/api/token", "http://[fd00:ec2::254]/latest/meta-data/", "http://metadata.google.internal/computeMetadata/v1/"} {
		rec := &recordingTransport{}
		g := &connfind.MetadataGuard{Next: rec}
		req, _ := http.NewRequest(http.MethodPut, u, nil)
		_, err := g.RoundTrip(req)
		var mr *connfind.MetadataRefusedError
		if !errors.As(err, &mr) || len(rec.seen()) != 0 || g.Refused.Load() != 1 {
			t.Errorf("%s: err %v, passed on %v", u, err, rec.seen())
		}
		allowed := &connfind.MetadataGuard{Allow: true, Next: rec}
		if _, err := allowed.RoundTrip(req); !errors.Is(err, errNoNetworkInTests) || len(rec.seen()) != 1 {
			t.Errorf("%s allowed: %v %v", u, err, rec.seen())
		}
	}
	rec := &recordingTransport{}
	g := &connfind.MetadataGuard{Next: rec}
	req, _ := http.NewRequest(http.MethodPost, "https://sts.amazonaws.com/", nil)
	if _, err := g.RoundTrip(req); !errors.Is(err, errNoNetworkInTests) || g.Asked.Load() != 0 {
		t.Errorf("sts: %v", err)
	}
}

// TestAWSNoCredentialsPing: ping never starts the driver either.
func TestAWSNoCredentialsPing(t *testing.T) {
	clearAWSEnv(t)
	srv := mongotest.StartFakeMongod(t, mongotest.Options{AWSAuth: true})
	rec := &recordingTransport{}
	e := NewEngine()
	e.Timeout = tlsTestBudget
	e.Getenv = func(string) string { return "" }
	e.HTTPTransport = rec
	tgt := tlsTestRun(t, "mongodb://"+srv.Addr()+"/?authMechanism=MONGODB-AWS").t
	r, err := e.Ping(tlsTestCtx(t), tgt, PingRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := findingOf(r, catalogue.IDAuthAWSNoCredentials); !ok || f.Severity != report.SeverityError || r.OK {
		t.Fatalf("ping: %s", findingsText(r))
	}
	if srv.Count("saslStart") != 0 || len(rec.seen()) != 0 {
		t.Errorf("the driver ran: %s, HTTP %v", srv.CountSummary(), rec.seen())
	}
}
