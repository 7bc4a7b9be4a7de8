package connstr

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/ascii"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/version"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// GoDriver names the driver this tool links, as findings quote it.
var GoDriver = "the Go driver v" + version.Driver

// DriverRefusal says why the Go driver this tool links refuses the exact
// connection string a user gave: an application built with it fails at
// start-up, before any connection.
type DriverRefusal struct {
	// Reason is the driver's message, redacted.
	Reason string
	// Corrections are the steps from the string to the corrected one, in
	// order ("write retryWrites=true", "remove connectTimeoutMS").
	Corrections []string
	// SuggestedURI is the corrected string, redacted, when the driver
	// accepts it ("" when no correction is known).
	SuggestedURI string
	// SpecWarns is set when the URI options specification says drivers
	// warn about the values involved and ignore them, instead of
	// refusing the string.
	SpecWarns bool
}

func (e *DriverRefusal) Error() string {
	return GoDriver + " refuses the connection string: " + e.Reason
}

// Finding is the refusal as a driver.refused finding.
func (e *DriverRefusal) Finding() report.Finding {
	ev := []string{e.Error()}
	for _, c := range e.Corrections {
		ev = append(ev, "correction: "+c)
	}
	if e.SpecWarns {
		ev = append(ev, "the URI options specification says drivers warn about such a value and ignore it: drivers that follow it to the letter start with this string and use the option's default, while an application built with "+GoDriver+" does not start")
	} else {
		ev = append(ev, "other drivers, or other releases of this one, may accept this string; an application built with "+GoDriver+" does not start")
	}
	f := catalogue.NewFinding(catalogue.IDDriverRefused, ev...)
	f.Fixes = append(append([]string(nil), e.Corrections...), f.Fixes...)
	f.SuggestedURI = e.SuggestedURI
	return f.Redacted(redact.RedactText)
}

// checkDriver hands the exact string to the Go driver's parser and
// validation, without DNS and without reading the files the string
// names, and returns why it refuses it (nil when it accepts it).
func (p *connParts) checkDriver(l *linter) *DriverRefusal {
	err := p.goDriverAccepts(p.raw)
	if err == nil {
		return nil
	}
	r := &DriverRefusal{Reason: p.driverReason(err)}
	for _, o := range p.options {
		if o.ignored && o.def != nil {
			r.SpecWarns = true
		}
	}
	r.Corrections = l.corrections()
	if fixed := l.corrected(false); fixed != p.raw && p.goDriverAccepts(fixed) == nil {
		r.SuggestedURI = l.corrected(true)
	}
	return r
}

// fileOptions name files the driver reads when it builds a client: they
// are checked by the TLS stage, not here.
var fileOptions = map[string]bool{
	"tlscafile": true, "sslcertificateauthorityfile": true, "tlscertificatekeyfile": true,
	"sslclientcertificatekeyfile": true, "tlscertificatefile": true, "tlsprivatekeyfile": true,
}

// goDriverAccepts runs the Go driver's parser (connstring) and client
// validation (options.ClientOptions) on s, a connection string of p's
// shape. A mongodb+srv string is checked as the driver checks it before
// its DNS lookups: srvMaxHosts and srvServiceName as the driver reads
// them, the rest as a mongodb:// string.
func (p *connParts) goDriverAccepts(s string) error {
	sp := splitConnString(s)
	var drop []*rawOption
	// The driver's parser looks SRV and TXT records up as soon as a string
	// starts with exactly this prefix: such a string never reaches it.
	if strings.HasPrefix(s, SchemeMongoDBSRV+"://") {
		for _, o := range sp.options {
			switch o.lower {
			case "srvmaxhosts":
				if n, err := strconv.Atoi(o.value); err != nil || n < 0 {
					return fmt.Errorf("invalid value for %q: %q", o.key, o.value)
				}
				drop = append(drop, o)
			case "srvservicename":
				if len(o.value) < 1 || len(o.value) > maxSRVServiceNameLen {
					return errors.New("srvServiceName value must be between 1 and 62 characters")
				}
				drop = append(drop, o)
			}
		}
		s = SchemeMongoDB + s[len(SchemeMongoDBSRV):]
		s = withoutPairs(s, len(SchemeMongoDB)-len(SchemeMongoDBSRV), drop)
		sp = splitConnString(s)
	}
	if strings.HasPrefix(s, SchemeMongoDBSRV+"://") {
		return errors.New("a mongodb+srv string is not parsed without DNS")
	}
	if _, err := connstring.ParseAndValidate(s); err != nil {
		return err
	}
	var files []*rawOption
	for _, o := range sp.options {
		if fileOptions[o.lower] {
			files = append(files, o)
		}
	}
	err := options.Client().ApplyURI(withoutPairs(s, 0, files)).Validate()
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return nil
	}
	return err
}

// withoutPairs is s with the pairs of opts (whose spans are shift bytes
// off s) cut out, with their separators.
func withoutPairs(s string, shift int, opts []*rawOption) string {
	for i := len(opts) - 1; i >= 0; i-- {
		start, end := opts[i].bspan.Start+shift, opts[i].bspan.End+shift
		switch {
		case end < len(s) && (s[end] == '&' || s[end] == ';'):
			end++
		case start > 0 && (s[start-1] == '&' || s[start-1] == ';'):
			start--
		}
		s = s[:start] + s[end:]
	}
	return strings.TrimSuffix(s, "?")
}

// driverReason is the driver's message without its wrapping, with every
// secret of the string masked (the driver quotes option values).
func (p *connParts) driverReason(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"error parsing uri: ", "error validating uri: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	var secrets []string
	if p.hasPassword {
		secrets = append(secrets, p.password, p.raw[p.passSpan.Start:p.passSpan.End])
	}
	for _, sp := range p.secretSpans {
		secrets = append(secrets, p.raw[sp.Start:sp.End])
	}
	return redact.RedactText(redact.RedactSecrets(msg, secrets...))
}

// corrections lists what corrected changes, as steps to take: each value
// corrected or normalised, each pair left out, each key renamed, and the
// '/' put before the options.
func (l *linter) corrections() []string {
	p := l.p
	var out []string
	if p.qPos >= 0 && p.slashPos < 0 {
		out = append(out, "put a '/' between the hosts and the '?' of the options")
	}
	for _, o := range p.options {
		name := o.key
		if o.def != nil {
			name = o.def.Name
		}
		switch {
		case o.hasFix:
			out = append(out, "write "+name+"="+o.fix)
		case o.drop:
			out = append(out, "remove "+shorten(o.key, 60))
		case o.norm != "" && o.norm != o.rawValue:
			out = append(out, "write "+name+"="+o.norm)
		}
		if r, ok := l.renames[o]; ok {
			out = append(out, fmt.Sprintf("rename %s to %s", shorten(o.key, 60), r))
		}
	}
	return out
}

// boolCorrection is the boolean a mistyped value most likely means.
func boolCorrection(v string) (string, bool) {
	switch ascii.Lower(v) {
	case "true", "t", "1", "yes", "y", "on":
		return "true", true
	case "false", "f", "0", "no", "n", "off":
		return "false", true
	}
	if s := nearest(v, []string{"true", "false"}); s != "" {
		return s, true
	}
	return "", false
}

// intCorrection is the number an invalid integer value most likely means:
// a duration written with its unit ("5s" for a value in milliseconds), a
// whole number written with a fraction ("100.0"), or the nearest bound of
// an option whose range starts above zero or ends below the limit.
func intCorrection(d *optionDef, v string, limit int64) (string, bool) {
	if d.Unit == unitMS {
		for _, u := range []struct {
			suffix string
			ms     int64
		}{{"ms", 1}, {"s", 1000}, {"m", 60000}} {
			if n, err := strconv.ParseInt(strings.TrimSuffix(v, u.suffix), 10, 64); err == nil && strings.HasSuffix(v, u.suffix) && n >= 0 && n <= limit/u.ms {
				return strconv.FormatInt(max(n*u.ms, d.Min), 10), true
			}
		}
	}
	if whole, ok := strings.CutSuffix(v, ".0"); ok {
		if n, err := strconv.ParseInt(whole, 10, 64); err == nil && n >= d.Min && n <= limit {
			return whole, true
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil:
		return "", false
	case n < d.Min && d.Min > 0:
		return strconv.FormatInt(d.Min, 10), true
	case n > limit && d.Max != 0:
		return strconv.FormatInt(d.Max, 10), true
	}
	return "", false
}
