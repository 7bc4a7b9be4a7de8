package probe

// This file is the only one of package probe that names the engine's
// packages: it parses connection strings, runs a probe and turns the
// engine's Report into the plain result the metrics are built from.

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
	"github.com/mongoconn/mongoconn/internal/render"
	"github.com/mongoconn/mongoconn/netpath"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/resolve"
	"github.com/mongoconn/mongoconn/sdam"
)

// URIError says why a connection string of the config cannot be used. Msg
// is redacted.
type URIError struct {
	// ID is the catalogue id of the problem (uri.invalid, ...).
	ID  string
	Msg string
}

func (e *URIError) Error() string { return e.Msg }

// parsedURI is a connection string the engine accepted.
type parsedURI struct {
	t        *connstr.Target
	redacted string
	secrets  secretList
}

// parseURI parses a target's connection string. password is the one put
// in from password_file or password_env ("" when none): errors never show
// it, whatever the parser echoes.
func parseURI(uri, password string) (*parsedURI, error) {
	t, err := connstr.ParseTarget(uri)
	if err != nil {
		// The string was refused, so its password is not known for sure:
		// hide what stands where a password would.
		known := []string{password, inlinePassword(uri)}
		var uerr *connstr.URIError
		if errors.As(err, &uerr) {
			msg := uerr.Error()
			if uerr.Hint != "" {
				msg += " (" + uerr.Hint + ")"
			}
			return nil, &URIError{ID: uerr.ID, Msg: redact.RedactSecrets(msg, known...)}
		}
		return nil, &URIError{ID: catalogue.IDURIInvalid, Msg: redact.RedactSecrets(err.Error(), known...)}
	}
	secrets := newSecretList(append(t.Secrets(), password)...)
	return &parsedURI{t: t, redacted: redact.RedactSecrets(t.Redacted, secrets.raw...), secrets: secrets}, nil
}

// inlinePassword is what stands between the first ':' of the user
// information and its '@' in a connection string ("" when nothing does).
func inlinePassword(uri string) string {
	_, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return ""
	}
	at := strings.LastIndex(rest, "@")
	if end := strings.IndexAny(rest, "/?"); end >= 0 && end < at {
		at = strings.LastIndex(rest[:end], "@")
	}
	if at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(rest[:at], ":")
	return pw
}

// redactText replaces every secret the engine knows how to find in s
// (connection-string passwords, key=value secrets).
func redactText(s string) string { return redact.Redact(s) }

// scrub replaces the secrets of l in s, in any form. The engine redacts
// what it reports already; this is the second lock on the door, for
// secrets that came from password_file and password_env, cheap when no
// secret is there.
func scrub(l secretList, s string) string {
	if !l.appears(s) {
		return s
	}
	return redact.RedactSecrets(s, l.raw...)
}

// runSpec is one probe to run.
type runSpec struct {
	target *Target
	module Module
	// budget is the whole probe's time.
	budget time.Duration
	// debug asks for the report in full (debug=true).
	debug           bool
	serverAPI       string
	serverAPIStrict bool
	// ssh is the bastion of every probe (Options.SSH).
	ssh netpath.SSHConfig
}

// run probes spec.target with the engine the CLI uses.
func run(ctx context.Context, spec runSpec) (*result, error) {
	t := spec.target
	e := diagnose.NewEngine()
	e.Timeout = spec.budget
	// Verbose keeps each certificate of a TLS chain in the tls checks,
	// which is where probe_ssl_earliest_cert_expiry comes from; a debug
	// report gets the raw replies too.
	e.Verbose = t.parsed.t.TLS || spec.debug
	e.ServerAPI, e.ServerAPIStrict = spec.serverAPI, spec.serverAPIStrict
	e.SSH = spec.ssh
	if t.DNSServer != "" {
		e.Resolver = resolve.NewResolver(t.DNSServer)
	}
	start := time.Now()
	var (
		r   *report.Report
		err error
	)
	switch spec.module {
	case ModuleDiagnose:
		r, err = e.Diagnose(ctx, t.parsed.t)
	default:
		r, err = e.Ping(ctx, t.parsed.t, diagnose.PingRequest{RequirePrimary: t.Primary})
	}
	elapsed := time.Since(start)
	if err != nil {
		return nil, &RunError{Target: t.Name, Msg: redact.RedactSecrets(err.Error(), t.secrets.raw...)}
	}
	if errors.Is(ctx.Err(), context.Canceled) { // shut down, or the scraper went away
		diagnose.MarkInterrupted(r)
	}
	redactReport(r, t.secrets)
	return summarize(r, t.parsed.t, elapsed, t.secrets), nil
}

// RunError says the engine could not run a probe at all (as opposed to a
// probe that ran and found a problem). Msg is redacted.
type RunError struct {
	Target string
	Msg    string
}

func (e *RunError) Error() string {
	return "target " + e.Target + ": the probe could not run: " + e.Msg
}

// summarize turns a report into the plain result.
func summarize(r *report.Report, t *connstr.Target, elapsed time.Duration, secrets secretList) *result {
	res := &result{
		OK:         r.OK,
		Verdict:    r.Verdict,
		Duration:   elapsed,
		Topology:   r.Topology,
		ReplicaSet: t.ReplicaSet != "" || strings.HasPrefix(r.Topology, "ReplicaSet"),
		writeJSON:  func(w io.Writer) error { return render.JSON(w, r) },
		secrets:    secrets,
	}
	for _, st := range report.Stages {
		sr := stageResult{Stage: string(st), Success: true}
		ran := false
		for _, c := range r.Checks {
			if c.Stage != st || c.Status == report.StatusSkip {
				continue
			}
			ran = true
			if c.Status == report.StatusFail {
				sr.Success = false
			}
			if d := millisDuration(c.DurationMs); d > sr.Duration {
				sr.Duration = d
			}
		}
		if ran {
			res.Stages = append(res.Stages, sr)
		}
	}
	for _, f := range r.Findings {
		res.Findings = append(res.Findings, findingResult{ID: f.ID, Severity: string(f.Severity)})
	}
	for _, s := range r.Servers {
		answered := s.Reachable && s.Kind != "" && s.Kind != string(sdam.TopologyUnknown)
		res.Servers = append(res.Servers, serverResult{
			Address:        s.Address,
			Up:             s.Reachable,
			Answered:       answered,
			RTT:            millisDuration(s.RTTMs),
			Kind:           s.Kind,
			SetName:        s.SetName,
			Version:        s.Version,
			MaxWireVersion: s.MaxWireVersion,
		})
		if strings.HasPrefix(s.Kind, "RS") { // RSPrimary, RSSecondary, RSArbiter, RSOther, RSGhost
			res.ReplicaSet = true
		}
	}
	if r.SRV != nil {
		res.HasSRV = true
		res.SRVRecords = len(r.SRV.Records)
	}
	for _, c := range r.Checks {
		if c.Stage != report.StageTLS {
			continue
		}
		for _, line := range c.Detail {
			if at, ok := certNotAfter(line); ok && (res.CertExpiry.IsZero() || at.Before(res.CertExpiry)) {
				res.CertExpiry = at
			}
		}
	}
	return res
}

// redactReport scrubs the target's secrets wherever the report might echo
// them.
func redactReport(r *report.Report, secrets secretList) {
	red := func(s string) string { return scrub(secrets, s) }
	list := func(l []string) {
		for i := range l {
			l[i] = red(l[i])
		}
	}
	r.Target = red(r.Target)
	r.Verdict = red(r.Verdict)
	for i := range r.Checks {
		c := &r.Checks[i]
		c.Address, c.Summary = red(c.Address), red(c.Summary)
		list(c.Detail)
	}
	for i := range r.Servers {
		s := &r.Servers[i]
		s.Address, s.Me, s.Error, s.Primary = red(s.Address), red(s.Me), red(s.Error), red(s.Primary)
		s.SetName, s.Version = red(s.SetName), red(s.Version)
		list(s.Hosts)
		list(s.Passives)
		list(s.Arbiters)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		f.Title, f.Cause, f.SuggestedURI = red(f.Title), red(f.Cause), red(f.SuggestedURI)
		list(f.Evidence)
		list(f.Fixes)
	}
	if r.SRV != nil {
		r.SRV.URI = red(r.SRV.URI)
		list(r.SRV.TXT)
		for k, v := range r.SRV.Options {
			r.SRV.Options[k] = red(v)
		}
	}
}
