// Package connstr parses, lints and rewrites MongoDB connection strings:
// ParseTarget turns the string a user gave into a Target (with its
// positions, secrets and the findings of the URI stage), and one
// rewriter (Rewrite, RewriteRedacted, Target.RewriteRedacted, each given
// an Edit) produces every changed string: the corrected strings the
// findings suggest, the mongodb:// string of an SRV seed list, the
// direct connection to one member. No network here. It imports report,
// redact, catalogue and internal/ascii, never a package that probes.
package connstr

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/ascii"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// DefaultURI is the target when neither an argument nor $MONGODB_URI names one.
const DefaultURI = "mongodb://localhost:27017"

// The two schemes of a MongoDB connection string.
const (
	SchemeMongoDB    = "mongodb"
	SchemeMongoDBSRV = "mongodb+srv"
)

// DefaultPort is where a host written without a port listens.
const DefaultPort = 27017

// DefaultLocalThreshold is the latency window of server selection when
// localThresholdMS is not set (server-selection specification: 15 ms).
const DefaultLocalThreshold = 15 * time.Millisecond

// MaxURILength bounds the connection strings ParseTarget reads: the longest
// real ones (an AWS session token, a dozen hosts) stay far below it, and it
// keeps the work done on hostile input small.
const MaxURILength = 64 << 10

// Target is a parsed, linted connection string.
type Target struct {
	// Raw is the connection string as given. It may hold a password: never
	// print it; use Redacted.
	Raw string
	// Redacted is Raw with every secret replaced by ****.
	Redacted string
	// Scheme is SchemeMongoDB or SchemeMongoDBSRV.
	Scheme string
	// SRV is true for mongodb+srv:// strings.
	SRV bool
	// SRVHost is the host name whose SRV and TXT records hold the seed list
	// (SRV strings only).
	SRVHost string
	// SRVServiceName is the service of the SRV query (default "mongodb").
	SRVServiceName string
	// SRVMaxHosts limits how many SRV targets are used (0: all).
	SRVMaxHosts int
	// Hosts are the seeds as host:port, with DefaultPort added where the
	// string has none (IPv6 in brackets; UNIX socket paths as they are).
	// For SRV strings it holds the one SRV host name, without a port: it
	// must be resolved (SRVHost) before anything is dialled.
	Hosts []string
	// Username is the decoded user name ("" when none).
	Username string
	// HasPassword is true when the user information has a password part.
	HasPassword bool
	// Database is the decoded database of the path ("" when none).
	Database string
	// AuthSource is the database credentials are checked against, after
	// the defaults of the authentication specification ("" without
	// credentials).
	AuthSource string
	// AuthMechanism is the mechanism as written ("" for the default).
	AuthMechanism string
	// ReplicaSet is the replicaSet option ("" when not set).
	ReplicaSet string
	// DirectConnection is the directConnection option (also connect=direct),
	// nil when not set.
	DirectConnection *bool
	// LoadBalanced is the loadBalanced option.
	LoadBalanced bool
	// TLS is true when connections use TLS: tls/ssl=true, a tls* file
	// option, or mongodb+srv without tls=false.
	TLS bool
	// TLSSet is true when tls or ssl is written in the string.
	TLSSet bool
	// TLSOptions are the other tls* options.
	TLSOptions TLSOptions
	// LocalThreshold is the latency window of server selection
	// (localThresholdMS, default DefaultLocalThreshold).
	LocalThreshold time.Duration
	// ReadPreference is the read preference mode in its canonical spelling
	// ("primary" when not set).
	ReadPreference string
	// ReadPreferenceTags are the tag sets, in order (an empty map matches
	// any member).
	ReadPreferenceTags []map[string]string
	// MaxStalenessSeconds is maxStalenessSeconds, -1 when not set.
	MaxStalenessSeconds int
	// AppName is the appName option.
	AppName string
	// Options are the options as written, in order.
	Options []Option
	// Conn is the driver's view of the string. For SRV strings it is
	// parsed without DNS lookups: Conn.Hosts holds the SRV host name and
	// TXT options are not applied. Conn.Password holds the password: never
	// print it.
	Conn *connstring.ConnString
	// Findings are about the string itself: warnings (uri.unknown-option,
	// uri.invalid-value) and driver.refused. Problems that make the string
	// unusable for every driver are a *URIError instead.
	Findings []report.Finding
	// DriverRefusal is set when the Go driver this tool links refuses the
	// exact string (Findings then holds driver.refused): an application
	// built with it does not start, so the driver is not run with it.
	DriverRefusal *DriverRefusal

	parts *connParts
}

// TLSOptions are the tls* options of a connection string.
type TLSOptions struct {
	CAFile                            string
	CertificateKeyFile                string
	CertificateFile                   string
	PrivateKeyFile                    string
	HasCertificateKeyFilePassword     bool
	Insecure                          bool
	AllowInvalidCertificates          bool
	AllowInvalidHostnames             bool
	DisableOCSPEndpointCheck          bool
	DisableCertificateRevocationCheck bool
}

// Option is one key=value pair of a connection string.
type Option struct {
	// Key is the key as written (decoded).
	Key string
	// Name is the canonical spelling of a known option ("" when unknown).
	Name string
	// Value is the decoded value; **** for secrets.
	Value string
	// Pos is the byte offset of the key in Target.Redacted.
	Pos int
	// Ignored is true when drivers ignore the pair (unknown key, empty or
	// invalid value, repeated key that lost).
	Ignored bool
}

// URIError says why a connection string cannot be used at all.
type URIError struct {
	// ID is the catalogue id of the problem: IDURIInvalid,
	// IDURIUnescapedCredentials, IDURISRVWithPort or
	// IDURIDirectMultipleHosts.
	ID string
	// Redacted is the input, redacted; for an input longer than
	// MaxURILength, an excerpt of its start. Messages show it through
	// Caret and Excerpt, which cut it short.
	Redacted string
	// Pos is the byte offset of the problem in Redacted, -1 if unknown.
	Pos int
	// Msg names the problem.
	Msg string
	// Hint says how to fix it.
	Hint string
	// SuggestedURI is the corrected connection string, redacted, when one
	// can be built.
	SuggestedURI string
}

func (e *URIError) Error() string {
	if e.Pos >= 0 {
		return fmt.Sprintf("invalid connection string at position %d: %s", e.Pos, e.Msg)
	}
	return "invalid connection string: " + e.Msg
}

// Caret shows the redacted input on one line and a ^ under the problem on
// the next. Control characters are shown as '?' so that the caret stays
// under the right character. Without a position it is the input alone.
// An input longer than redact.EchoLimit characters is shown as that many
// around the problem (the start without a position), "…" marking what
// is left out and the length of the whole said at the end.
func (e *URIError) Caret() string {
	pos := e.Pos
	if pos > len(e.Redacted) {
		pos = -1
	}
	col := 0
	if pos >= 0 {
		col = utf8.RuneCountInString(e.Redacted[:pos])
	}
	from := max(col-redact.EchoLimit/2, 0)
	shown, cutBefore, cutAfter := runeWindow(e.Redacted, from, redact.EchoLimit)
	line := printable(shown)
	if cutBefore {
		line = "…" + line
	}
	if cutAfter {
		line += "…"
	}
	if cutBefore || cutAfter {
		line += fmt.Sprintf(" (%d bytes)", len(e.Redacted))
	}
	if pos < 0 {
		return line
	}
	col -= from
	if cutBefore {
		col++
	}
	return line + "\n" + strings.Repeat(" ", col) + "^"
}

// runeWindow returns the n characters of s from character from on, and
// whether characters were left out before and after them.
func runeWindow(s string, from, n int) (string, bool, bool) {
	start, count := -1, 0
	for i := range s {
		if count == from {
			start = i
		}
		if count == from+n {
			return s[start:i], from > 0, true
		}
		count++
	}
	if start < 0 {
		return "", from > 0, false
	}
	return s[start:], from > 0, false
}

// Excerpt is the redacted input as a report may name it: whole when it is
// short, else its first redact.EchoLimit characters and its length.
func (e *URIError) Excerpt() string {
	return redact.Excerpt(e.Redacted, redact.EchoLimit)
}

// Finding returns the problem as a catalogue finding (its ID, error
// severity) with the evidence and the fix.
func (e *URIError) Finding() report.Finding {
	id := e.ID
	if id == "" {
		id = catalogue.IDURIInvalid
	}
	ev := e.Msg
	if e.Pos >= 0 {
		ev = fmt.Sprintf("%s (at position %d)", e.Msg, e.Pos)
	}
	evidence := []string{ev}
	if e.Redacted != "" {
		evidence = append(evidence, strings.Split(e.Caret(), "\n")...)
	}
	f := catalogue.NewFinding(id, evidence...)
	if f.Cause == "" {
		f.Cause = uriCause(id)
	}
	if e.Hint != "" {
		f.Fixes = append([]string{e.Hint}, f.Fixes...)
	}
	f.SuggestedURI = e.SuggestedURI
	return f.Redacted(redact.RedactText)
}

// Findings returns the findings a report of this error carries: always a
// uri.invalid finding (DESIGN.md: an unparsable string gives a report with
// uri.invalid), preceded by the finding of the more precise id
// (uri.unescaped-credentials, uri.srv-with-port, uri.direct-multiple-hosts)
// when there is one: the first finding names the cause, as explain's
// first finding does for a driver's message about the same string.
func (e *URIError) Findings() []report.Finding {
	f := e.Finding()
	if f.ID == catalogue.IDURIInvalid {
		return []report.Finding{f}
	}
	generic := (&URIError{ID: catalogue.IDURIInvalid, Redacted: e.Redacted, Pos: e.Pos, Msg: e.Msg, Hint: e.Hint, SuggestedURI: e.SuggestedURI}).Finding()
	return []report.Finding{f, generic}
}

// printable replaces control characters and invalid UTF-8 with '?'.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || (r >= 0x80 && r < 0xa0) {
			b.WriteByte('?')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tooLong is the error of a string longer than MaxURILength, built
// without reading it all. Its excerpt stops after the first "://": the
// user information that may follow is masked only when its end is found,
// which may lie anywhere in the rest.
func tooLong(raw string) *URIError {
	n := redact.EchoLimit - 1 // and "…"
	for n > 0 && !utf8.RuneStart(raw[n]) {
		n--
	}
	head := raw[:n]
	for _, sep := range []string{"://", "%3a%2f%2f"} {
		if i := strings.Index(ascii.Lower(head), sep); i >= 0 {
			head = head[:i+len(sep)]
		}
	}
	shown, _, _ := runeWindow(redact.Redact(head), 0, n) // **** may be longer than what it masks
	return &URIError{
		ID:       catalogue.IDURIInvalid,
		Redacted: shown + "…",
		Pos:      -1,
		Msg:      fmt.Sprintf("the connection string is %d bytes long; mongoconn reads at most %d", len(raw), MaxURILength),
		Hint:     "check that the value is a connection string and not a file's contents",
	}
}

// ParseTarget parses and lints a connection string. It never does DNS or
// network I/O: mongodb+srv strings are checked against the rules that
// apply before DNS. A string drivers would refuse is a *URIError;
// warnings (options drivers ignore) and driver.refused (the Go driver
// refuses a string the specification accepts) are in Target.Findings.
func ParseTarget(raw string) (*Target, error) {
	if len(raw) > MaxURILength {
		return nil, tooLong(raw)
	}
	p := splitConnString(raw)
	if err := p.checkStructure(); err != nil {
		return nil, err
	}
	l := &linter{p: p}
	if err := l.lintOptions(); err != nil {
		return nil, err
	}
	cs, err := p.driverParse(l)
	if err != nil {
		return nil, err
	}
	t := &Target{
		Raw:                 raw,
		Redacted:            p.redacted,
		Scheme:              p.schemeName(),
		SRV:                 p.srv,
		Conn:                cs,
		Findings:            l.findings(),
		MaxStalenessSeconds: -1,
		parts:               p,
	}
	if t.DriverRefusal = p.checkDriver(l); t.DriverRefusal != nil {
		t.Findings = append(t.Findings, t.DriverRefusal.Finding())
	}
	t.fill(p, cs)
	return t, nil
}

// fill copies what other stages need into the target.
func (t *Target) fill(p *connParts, cs *connstring.ConnString) {
	for _, h := range p.hosts {
		t.Hosts = append(t.Hosts, h.address())
	}
	if p.srv {
		t.SRVHost = p.hosts[0].host
		t.SRVServiceName = DefaultSRVServiceName
		t.Hosts = []string{t.SRVHost}
	}
	t.Username = p.username
	t.HasPassword = p.hasPassword
	t.Database = p.database
	t.AuthSource = cs.AuthSource
	t.AuthMechanism = cs.AuthMechanism
	t.ReplicaSet = cs.ReplicaSet
	t.LoadBalanced = cs.LoadBalanced
	t.TLS = cs.SSL
	t.LocalThreshold = DefaultLocalThreshold
	if cs.LocalThresholdSet {
		t.LocalThreshold = cs.LocalThreshold
	}
	t.ReadPreference = "primary"
	t.AppName = cs.AppName
	t.ReadPreferenceTags = cs.ReadPreferenceTagSets
	if cs.MaxStalenessSet {
		t.MaxStalenessSeconds = int(cs.MaxStaleness / time.Second)
	}
	if cs.DirectConnectionSet {
		d := cs.DirectConnection
		t.DirectConnection = &d
	} else if cs.ConnectSet {
		d := cs.Connect == connstring.SingleConnect
		t.DirectConnection = &d
	}
	t.TLSOptions = TLSOptions{
		CAFile:                            cs.SSLCaFile,
		CertificateKeyFile:                cs.SSLClientCertificateKeyFile,
		CertificateFile:                   cs.SSLCertificateFile,
		PrivateKeyFile:                    cs.SSLPrivateKeyFile,
		HasCertificateKeyFilePassword:     cs.SSLClientCertificateKeyPasswordSet,
		Insecure:                          cs.SSLInsecure,
		DisableOCSPEndpointCheck:          cs.SSLDisableOCSPEndpointCheck,
		DisableCertificateRevocationCheck: cs.SSLDisableCertificateRevocationCheck,
	}
	for _, o := range p.options {
		t.Options = append(t.Options, o.public(p))
		if o.drop || o.def == nil {
			continue
		}
		switch o.def.canonical() {
		case "readPreference":
			t.ReadPreference = canonicalEnum(o.def, o.value)
		case "srvServiceName":
			t.SRVServiceName = o.value
		case "srvMaxHosts":
			t.SRVMaxHosts, _ = strconv.Atoi(o.value)
		case "tls":
			t.TLSSet = true
		case "tlsAllowInvalidCertificates":
			t.TLSOptions.AllowInvalidCertificates = o.value == "true"
		case "tlsAllowInvalidHostnames":
			t.TLSOptions.AllowInvalidHostnames = o.value == "true"
		case "maxStalenessSeconds":
			t.MaxStalenessSeconds, _ = strconv.Atoi(o.value)
		}
	}
}

// Secrets returns every secret of the string as decoded (the password,
// tlsCertificateKeyFilePassword, proxyPassword, the AWS session token) and
// as written: pass them to RedactSecrets with texts that may echo them.
func (t *Target) Secrets() []string {
	var out []string
	p := t.parts
	if p == nil {
		return nil
	}
	if p.hasPassword {
		out = append(out, p.password, p.raw[p.passSpan.Start:p.passSpan.End])
	}
	for _, sp := range p.secretSpans {
		v := p.raw[sp.Start:sp.End]
		out = append(out, v)
		if d, err := url.QueryUnescape(v); err == nil {
			out = append(out, d)
		}
	}
	if t.Conn != nil {
		if tok := t.Conn.AuthMechanismProperties["AWS_SESSION_TOKEN"]; tok != "" {
			out = append(out, tok)
		}
	}
	return out
}

// Rewritable reports whether the string was parsed into the parts that
// RewriteRedacted reads: a Target built by ParseTarget.
func (t *Target) Rewritable() bool { return t.parts != nil }

// connParts is the lexical structure of a connection string, with byte
// ranges into raw. splitConnString never fails; checkStructure judges it.
type connParts struct {
	raw      string
	redacted string
	// redactions are the ranges of raw replaced by **** in redacted.
	redactions []redact.Span

	hasScheme  bool
	schemeSpan redact.Span // the scheme without "://"
	sepSpan    redact.Span // "://" or what stands for it
	restStart  int

	hasUserinfo bool
	userSpan    redact.Span
	hasPassword bool
	passSpan    redact.Span
	atPos       int
	username    string
	password    string

	hostsSpan redact.Span
	hosts     []*hostPart

	slashPos int
	dbSpan   redact.Span
	database string
	qPos     int

	options     []*rawOption
	secretSpans []redact.Span

	srv bool
}

// hostPart is one entry of the seed list.
type hostPart struct {
	bspan    redact.Span
	host     string // decoded host (IPv6 without brackets)
	port     int    // 0 when not written
	portSpan redact.Span
	ipv6     bool
	unix     bool
}

// address is host:port with the default port, or the socket path.
func (h *hostPart) address() string {
	if h.unix {
		return h.host
	}
	port := h.port
	if port == 0 {
		port = DefaultPort
	}
	if h.ipv6 {
		return "[" + h.host + "]:" + strconv.Itoa(port)
	}
	return h.host + ":" + strconv.Itoa(port)
}

// rawOption is one key=value pair as written.
type rawOption struct {
	rawKey, rawValue   string
	key, value         string // decoded
	lower              string // key lower-cased (A-Z only)
	keySpan, valueSpan redact.Span
	bspan              redact.Span // the whole pair
	hasEq              bool
	keyErr, valueErr   error
	def                *optionDef
	secret             bool
	// drop marks a pair not passed to the driver: ignored (invalid or
	// empty value), or applied by mongoconn itself.
	drop bool
	// ignored marks a pair drivers ignore (reported as a warning).
	ignored bool
	// norm is the value passed to the driver, raw; "" means rawValue.
	norm string
	// fix is the value that corrects an ignored one (decoded), when
	// hasFix; an ignored pair without one is best left out.
	fix    string
	hasFix bool
}

// correct records the value that corrects o's.
func (o *rawOption) correct(v string) {
	o.fix, o.hasFix = v, true
}

func (o *rawOption) public(p *connParts) Option {
	v := o.value
	if o.secret {
		v = redact.RedactedSecret
	} else if sp := o.valueSpan; o.def != nil && o.def.Name == "authMechanismProperties" && p.overlapsSecret(sp) {
		v = redact.Redact("authMechanismProperties=" + o.value)[len("authMechanismProperties="):]
	}
	name := ""
	if o.def != nil {
		name = o.def.Name
	}
	return Option{Key: o.key, Name: name, Value: v, Pos: p.mapPos(o.keySpan.Start), Ignored: o.ignored}
}

// splitConnString finds the parts of raw. It accepts anything: a missing or wrong
// scheme, a password with unescaped characters, no host. The user
// information ends at the last '@' outside option values (see
// redact.UserinfoEnd), so that the whole password is found even when it holds
// unescaped '@', ':' or '/'.
func splitConnString(raw string) *connParts {
	p := &connParts{raw: raw, atPos: -1, slashPos: -1, qPos: -1}
	p.findScheme()
	rest := raw[p.restStart:]
	if at := redact.UserinfoEnd(rest); at >= 0 {
		p.hasUserinfo = true
		p.atPos = p.restStart + at
		info := redact.Span{Start: p.restStart, End: p.atPos}
		if c := strings.IndexByte(raw[info.Start:info.End], ':'); c >= 0 {
			p.userSpan = redact.Span{Start: info.Start, End: info.Start + c}
			p.hasPassword = true
			p.passSpan = redact.Span{Start: info.Start + c + 1, End: info.End}
		} else if p.hasScheme && p.raw[p.sepSpan.Start:p.sepSpan.End] != "://" {
			// "mongodb:secret@host": the text after the colon may be a
			// password whose user name was taken for a scheme.
			p.userSpan = redact.Span{Start: info.Start, End: info.Start}
			p.hasPassword = true
			p.passSpan = info
		} else {
			p.userSpan = info
		}
	}
	hostsStart := p.restStart
	if p.hasUserinfo {
		hostsStart = p.atPos + 1
	}
	hostsEnd := len(raw)
	if k := strings.IndexAny(raw[hostsStart:], "/?"); k >= 0 {
		hostsEnd = hostsStart + k
	}
	p.hostsSpan = redact.Span{Start: hostsStart, End: hostsEnd}
	queryStart := -1
	if hostsEnd < len(raw) {
		if raw[hostsEnd] == '/' {
			p.slashPos = hostsEnd
			dbEnd := len(raw)
			if q := strings.IndexByte(raw[hostsEnd+1:], '?'); q >= 0 {
				dbEnd = hostsEnd + 1 + q
				p.qPos = dbEnd
				queryStart = dbEnd + 1
			}
			p.dbSpan = redact.Span{Start: hostsEnd + 1, End: dbEnd}
		} else {
			p.qPos = hostsEnd
			queryStart = hostsEnd + 1
		}
	}
	if queryStart >= 0 {
		p.splitOptions(queryStart)
	}
	p.findSecrets()
	p.redactions = redact.MergeSpans(p.redactionSpans())
	p.redacted = redact.Apply(raw, p.redactions)
	return p
}

// findScheme sets the scheme and where the rest starts. Besides
// "scheme://", it recognises "mongodb:" and "mongodb+srv:" followed by
// fewer than two slashes, so that the error can point at them; "mongodb:"
// followed by a digit is a host named mongodb with a port.
func (p *connParts) findScheme() {
	raw := p.raw
	if i := strings.Index(raw, "://"); i > 0 && isSchemeText(raw[:i]) {
		p.hasScheme = true
		p.schemeSpan = redact.Span{Start: 0, End: i}
		p.sepSpan = redact.Span{Start: i, End: i + 3}
		p.restStart = i + 3
		return
	}
	for _, sch := range []string{SchemeMongoDBSRV, SchemeMongoDB} {
		if !ascii.HasPrefixFold(raw, sch+":") {
			continue
		}
		after := len(sch) + 1
		if sch == SchemeMongoDB && after < len(raw) && raw[after] >= '0' && raw[after] <= '9' {
			return
		}
		end := after
		for end < len(raw) && end < after+2 && (raw[end] == '/' || raw[end] == '\\') {
			end++
		}
		p.hasScheme = true
		p.schemeSpan = redact.Span{Start: 0, End: len(sch)}
		p.sepSpan = redact.Span{Start: len(sch), End: end}
		p.restStart = end
		return
	}
}

// isSchemeText reports whether s has the form of a URI scheme.
func isSchemeText(s string) bool {
	if s == "" || len(s) > 32 || !ascii.IsAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !ascii.IsAlnum(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// splitOptions splits the query (from start to the end) into pairs at '&'
// and ';'. Empty pairs are skipped, as drivers do.
func (p *connParts) splitOptions(start int) {
	raw := p.raw
	i := start
	for i <= len(raw) {
		end := len(raw)
		if k := strings.IndexAny(raw[i:], "&;"); k >= 0 {
			end = i + k
		}
		if end > i {
			p.options = append(p.options, newRawOption(raw, redact.Span{Start: i, End: end}))
		}
		i = end + 1
	}
}

func newRawOption(raw string, sp redact.Span) *rawOption {
	o := &rawOption{bspan: sp}
	pair := raw[sp.Start:sp.End]
	if eq := strings.IndexByte(pair, '='); eq >= 0 {
		o.hasEq = true
		o.keySpan = redact.Span{Start: sp.Start, End: sp.Start + eq}
		o.valueSpan = redact.Span{Start: sp.Start + eq + 1, End: sp.End}
	} else {
		o.keySpan = sp
		o.valueSpan = redact.Span{Start: sp.End, End: sp.End}
	}
	o.rawKey = raw[o.keySpan.Start:o.keySpan.End]
	o.rawValue = raw[o.valueSpan.Start:o.valueSpan.End]
	o.key, o.keyErr = url.QueryUnescape(o.rawKey)
	if o.keyErr != nil {
		o.key = o.rawKey
	}
	o.value, o.valueErr = url.QueryUnescape(o.rawValue)
	if o.valueErr != nil {
		o.value = o.rawValue
	}
	o.lower = ascii.Lower(o.key)
	o.def = lookupOption(o.lower)
	o.secret = isSecretOption(o.key)
	return o
}

// findSecrets records the ranges of secret option values.
func (p *connParts) findSecrets() {
	for _, o := range p.options {
		switch {
		case o.secret:
			p.secretSpans = append(p.secretSpans, o.valueSpan)
		case o.def != nil && o.def.Name == "authMechanismProperties":
			for _, sp := range redact.AWSTokenSpans(o.rawValue) {
				p.secretSpans = append(p.secretSpans, redact.Span{Start: o.valueSpan.Start + sp.Start, End: o.valueSpan.Start + sp.End})
			}
		}
	}
}

func (p *connParts) redactionSpans() []redact.Span {
	spans := append([]redact.Span(nil), p.secretSpans...)
	if p.hasPassword {
		spans = append(spans, p.passSpan)
	}
	return spans
}

func (p *connParts) overlapsSecret(sp redact.Span) bool {
	for _, r := range p.redactions {
		if r.Start < sp.End && sp.Start < r.End {
			return true
		}
	}
	return false
}

// mapPos maps a byte offset of raw to the offset of the same character in
// redacted; an offset inside a redacted range maps to the start of its ****.
func (p *connParts) mapPos(pos int) int {
	shift := 0
	for _, r := range p.redactions {
		switch {
		case pos >= r.End:
			shift += len(redact.RedactedSecret) - (r.End - r.Start)
		case pos >= r.Start:
			return r.Start + shift
		}
	}
	return pos + shift
}

// red returns the redacted text of raw[start:end]. start and end must not
// fall inside a redacted range.
func (p *connParts) red(start, end int) string {
	return p.redacted[p.mapPos(start):p.mapPos(end)]
}

// schemeName is the scheme as the driver spells it.
func (p *connParts) schemeName() string {
	if p.srv {
		return SchemeMongoDBSRV
	}
	return SchemeMongoDB
}

func (p *connParts) hostsText() string {
	return p.raw[p.hostsSpan.Start:p.hostsSpan.End]
}

// hasOption reports whether the string writes name or one of its aliases.
func (p *connParts) hasOption(name string) bool {
	g := optionGroup(name)
	for _, o := range p.options {
		if optionGroup(o.lower) == g {
			return true
		}
	}
	return false
}

// optionGroup is the lower-cased canonical name of an option (its alias
// group), or the lower-cased key for unknown options.
func optionGroup(key string) string {
	lower := ascii.Lower(key)
	if d := lookupOption(lower); d != nil {
		return ascii.Lower(d.canonical())
	}
	return lower
}

// fixUserinfoEscapes percent-encodes what must be encoded in a user name
// or password as written, keeping its valid %XX escapes.
func fixUserinfoEscapes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && ascii.IsHex(s[i+1]) && ascii.IsHex(s[i+2]):
			b.WriteString(s[i : i+3])
			i += 2
		case redact.UserinfoSafe(c) || c >= 0x80:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
