package probe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mongoconn/mongoconn/internal/ascii"
	"go.yaml.in/yaml/v3"
)

// Config limits. A config names targets; none of these bounds is near what
// a real fleet needs, and each keeps the work done on a hostile file small.
const (
	// MaxConfigSize bounds the config file: a megabyte holds thousands of
	// targets.
	MaxConfigSize = 1 << 20

	// MaxSecretFileSize bounds a password_file or uri_file: the longest
	// real connection string (a dozen hosts, an AWS session token) is a
	// few kilobytes.
	MaxSecretFileSize = 64 << 10

	// MaxTargetTimeout is the longest timeout a target may ask for: a
	// probe longer than five minutes outlives any sensible scrape
	// interval.
	MaxTargetTimeout = 5 * time.Minute

	// MaxTargetNameLength bounds a target's name, which is a label value
	// and a URL parameter.
	MaxTargetNameLength = 128
)

// Module names what a probe runs: the engine's ping or its diagnose.
type Module string

// The modules.
const (
	// ModulePing runs the engine's ping (the CLI's `mongoconn ping`): the
	// driver's {ping: 1} with the raw stages beside it.
	ModulePing Module = "ping"
	// ModuleDiagnose runs every stage (the CLI's `mongoconn diagnose`).
	ModuleDiagnose Module = "diagnose"
)

// ParseModule accepts the module names of the config and of /probe.
func ParseModule(s string) (Module, bool) {
	switch Module(s) {
	case ModulePing, ModuleDiagnose:
		return Module(s), true
	}
	return "", false
}

// Config is a loaded, checked configuration: every target's connection
// string is complete (passwords read and inserted) and parses.
type Config struct {
	// File is the path the config was read from.
	File string
	// Targets maps each name to its target.
	Targets map[string]*Target
}

// Names returns the target names in sorted order.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Targets))
	for n := range c.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Target is one named connection string of the config.
type Target struct {
	// Name is the key of the target in the config.
	Name string
	// Module is the module probes of this target run unless /probe asks
	// for another.
	Module Module
	// Primary makes the ping module require a writable primary.
	Primary bool
	// Timeout is the probe's budget before the scrape timeout caps it.
	Timeout time.Duration
	// DNSServer is the IP:PORT resolving this target's names, "" for the
	// system resolver.
	DNSServer string
	// Redacted is the connection string with every secret as ****.
	Redacted string
	// Line is the line of the target in the config file.
	Line int

	uri     secretString
	secrets secretList
	parsed  *parsedURI
}

// String names the target and its redacted connection string.
func (t Target) String() string { return "target " + t.Name + " (" + t.Redacted + ")" }

// Format prints what String says, whatever the verb: a target printed by
// mistake, even with %+v, shows no secret.
func (t Target) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// secretString holds a connection string or a password. Printing it, by
// any verb or logger, shows ****.
type secretString string

func (secretString) String() string               { return redactedSecret }
func (secretString) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, redactedSecret) }
func (secretString) MarshalText() ([]byte, error) { return []byte(redactedSecret), nil }
func (s secretString) reveal() string             { return string(s) }

// redactedSecret replaces secrets in everything the server writes.
const redactedSecret = "****"

// ConfigError is a problem in the config file. Line is 0 when the problem
// is not at one place (an unreadable file).
type ConfigError struct {
	File string
	Line int
	// Target is the target the problem is in ("" for the file itself).
	Target string
	Msg    string
	// Err is the underlying error, when there is one (a file that cannot
	// be read). Its text is already in Msg, redacted.
	Err error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Target != "" {
		fmt.Fprintf(&b, "target %q: ", e.Target)
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Loader reads config files. Its fields are the seams tests point
// elsewhere; the zero value reads the real environment and files.
type Loader struct {
	// Getenv reads password_env and uri_env variables (os.Getenv when
	// nil).
	Getenv func(string) string
	// DefaultTimeout is the timeout of targets that set none
	// (DefaultTargetTimeout when zero).
	DefaultTimeout time.Duration
	// DefaultDNSServer is the dns_server of targets that set none.
	DefaultDNSServer string
}

// DefaultTargetTimeout is the probe budget of a target without timeout:
// Prometheus's default scrape timeout, which then caps it to 9.5 s.
const DefaultTargetTimeout = 10 * time.Second

// Load reads and checks the config file at path.
func (l *Loader) Load(path string) (*Config, error) {
	data, err := readBounded(path, MaxConfigSize)
	if err != nil {
		return nil, &ConfigError{File: path, Msg: err.Error(), Err: err}
	}
	return l.Parse(path, data)
}

// Parse checks the config held in data, read from file (named in errors).
func (l *Loader) Parse(file string, data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, &ConfigError{File: file, Msg: fmt.Sprintf("larger than %d bytes", MaxConfigSize)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ConfigError{File: file, Msg: "the file is empty: it needs a targets: map"}
		}
		return nil, &ConfigError{File: file, Msg: redactText(err.Error()), Err: err}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &ConfigError{File: file, Line: extra.Line, Msg: "a second YAML document: the config is one document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, &ConfigError{File: file, Msg: redactText(err.Error()), Err: err}
	}
	cfg := &Config{File: file, Targets: map[string]*Target{}}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	bad := func(n *yaml.Node, target, format string, args ...any) error {
		return &ConfigError{File: file, Line: n.Line, Target: target, Msg: fmt.Sprintf(format, args...)}
	}
	if root.Kind != yaml.MappingNode {
		return nil, bad(root, "", "the config is a map with one field, targets")
	}
	var targets *yaml.Node
	err := eachField(root, func(key, value *yaml.Node) error {
		switch key.Value {
		case "targets":
			targets = value
			return nil
		}
		return bad(key, "", "unknown field %q: the config has one field, targets%s", printable(key.Value), didYouMean(key.Value, []string{"targets"}))
	})
	if err != nil {
		return nil, fillFile(err, file)
	}
	if targets == nil {
		return nil, bad(root, "", "no targets: map: name at least one target")
	}
	if targets.Kind != yaml.MappingNode {
		return nil, bad(targets, "", "targets is a map from names to targets")
	}
	if len(targets.Content) == 0 {
		return nil, bad(targets, "", "no targets: name at least one target")
	}
	err = eachField(targets, func(key, value *yaml.Node) error {
		name := key.Value
		if reason := badName(name); reason != "" {
			return bad(key, "", "target name %q %s", printable(name), reason)
		}
		t, err := l.target(file, name, key, value)
		if err != nil {
			return err
		}
		cfg.Targets[name] = t
		return nil
	})
	if err != nil {
		return nil, fillFile(err, file)
	}
	return cfg, nil
}

// rawTarget is a target as written, before secrets are read.
type rawTarget struct {
	URI, PasswordFile, PasswordEnv, URIFile, URIEnv string
	Module, Timeout, DNSServer                      string
	Primary                                         bool
	lines                                           map[string]int
}

// targetFields are the fields of a target, in the order of DESIGN.md §8.
var targetFields = []string{"uri", "password_file", "password_env", "uri_file", "uri_env", "module", "primary", "timeout", "dns_server"}

func (l *Loader) target(file, name string, key, value *yaml.Node) (*Target, error) {
	bad := func(line int, format string, args ...any) error {
		return &ConfigError{File: file, Line: line, Target: name, Msg: fmt.Sprintf(format, args...)}
	}
	if value.Kind != yaml.MappingNode {
		return nil, bad(value.Line, "a target is a map with uri (or uri_file, uri_env) and optional fields")
	}
	rt := rawTarget{lines: map[string]int{}}
	err := eachField(value, func(k, v *yaml.Node) error {
		rt.lines[k.Value] = k.Line
		if k.Value == "primary" {
			if v.Kind != yaml.ScalarNode || v.Decode(&rt.Primary) != nil {
				return bad(v.Line, "primary is true or false")
			}
			return nil
		}
		dst := map[string]*string{
			"uri": &rt.URI, "password_file": &rt.PasswordFile, "password_env": &rt.PasswordEnv,
			"uri_file": &rt.URIFile, "uri_env": &rt.URIEnv, "module": &rt.Module,
			"timeout": &rt.Timeout, "dns_server": &rt.DNSServer,
		}[k.Value]
		if dst == nil {
			return bad(k.Line, "unknown field %q%s: a target has %s", printable(k.Value), didYouMean(k.Value, targetFields), strings.Join(targetFields, ", "))
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return bad(v.Line, "%s is a string", k.Value)
		}
		*dst = v.Value
		return nil
	})
	if err != nil {
		return nil, err
	}
	return l.build(file, name, key.Line, rt)
}

// build checks a target's fields, reads its secrets and parses its
// connection string.
func (l *Loader) build(file, name string, line int, rt rawTarget) (*Target, error) {
	bad := func(field string, format string, args ...any) error {
		at := line
		if n, ok := rt.lines[field]; ok {
			at = n
		}
		return &ConfigError{File: file, Line: at, Target: name, Msg: fmt.Sprintf(format, args...)}
	}
	t := &Target{Name: name, Line: line, Module: ModulePing, Primary: rt.Primary, Timeout: l.DefaultTimeout, DNSServer: l.DefaultDNSServer}
	if t.Timeout <= 0 {
		t.Timeout = DefaultTargetTimeout
	}
	if rt.Module != "" {
		m, ok := ParseModule(rt.Module)
		if !ok {
			return nil, bad("module", "module %q is not ping or diagnose", printable(rt.Module))
		}
		t.Module = m
	}
	if rt.Timeout != "" {
		d, err := time.ParseDuration(rt.Timeout)
		if err != nil || d <= 0 {
			return nil, bad("timeout", "timeout %q is not a positive duration such as 5s", printable(rt.Timeout))
		}
		if d > MaxTargetTimeout {
			return nil, bad("timeout", "timeout %s is longer than %s", d, MaxTargetTimeout)
		}
		t.Timeout = d
	}
	if rt.DNSServer != "" {
		s, ok := NormalizeDNSServer(rt.DNSServer)
		if !ok {
			return nil, bad("dns_server", "dns_server %q is not IP:PORT (for example 10.0.0.2:53)", printable(rt.DNSServer))
		}
		t.DNSServer = s
	}

	// The connection string: exactly one source.
	var sources []string
	for _, f := range []string{"uri", "uri_file", "uri_env"} {
		if _, ok := rt.lines[f]; ok {
			sources = append(sources, f)
		}
	}
	byLine := func(fields []string) {
		sort.SliceStable(fields, func(i, j int) bool { return rt.lines[fields[i]] < rt.lines[fields[j]] })
	}
	byLine(sources)
	switch len(sources) {
	case 0:
		return nil, bad("", "no connection string: give uri, uri_file or uri_env")
	case 1:
	default:
		return nil, bad(sources[1], "%s and %s both give the connection string: keep one", sources[0], sources[1])
	}
	var uri string
	switch sources[0] {
	case "uri":
		uri = strings.TrimSpace(rt.URI)
	case "uri_file":
		data, err := readBounded(rt.URIFile, MaxSecretFileSize)
		if err != nil {
			return nil, bad("uri_file", "uri_file: %s", err)
		}
		uri = strings.TrimSpace(string(data))
	case "uri_env":
		uri = strings.TrimSpace(l.getenv(rt.URIEnv))
		if uri == "" {
			return nil, bad("uri_env", "uri_env: the environment variable %s is empty or not set", printable(rt.URIEnv))
		}
	}
	if uri == "" {
		return nil, bad(sources[0], "%s gives an empty connection string", sources[0])
	}

	// The password: at most one source.
	var pwSources []string
	for _, f := range []string{"password_file", "password_env"} {
		if _, ok := rt.lines[f]; ok {
			pwSources = append(pwSources, f)
		}
	}
	byLine(pwSources)
	var password string
	switch len(pwSources) {
	case 0:
	case 1:
		if pwSources[0] == "password_file" {
			data, err := readBounded(rt.PasswordFile, MaxSecretFileSize)
			if err != nil {
				return nil, bad("password_file", "password_file: %s", err)
			}
			password = trimNewline(string(data))
		} else {
			password = l.getenv(rt.PasswordEnv)
		}
		if password == "" {
			what := "the file " + printable(rt.PasswordFile) + " is empty"
			if pwSources[0] == "password_env" {
				what = "the environment variable " + printable(rt.PasswordEnv) + " is empty or not set"
			}
			return nil, bad(pwSources[0], "%s: %s", pwSources[0], what)
		}
		full, err := withPassword(uri, password)
		if err != nil {
			return nil, bad(pwSources[0], "%s: %s", pwSources[0], err)
		}
		uri = full
	default:
		return nil, bad(pwSources[1], "password_file and password_env both give the password: keep one")
	}

	p, err := parseURI(uri, password)
	if err != nil {
		return nil, bad(sources[0], "the connection string cannot be used: %s", err)
	}
	t.uri = secretString(uri)
	t.parsed = p
	t.Redacted = p.redacted
	t.secrets = p.secrets
	return t, nil
}

func (l *Loader) getenv(k string) string {
	if l.Getenv != nil {
		return l.Getenv(k)
	}
	return os.Getenv(k)
}

// eachField calls fn for each key and value of a mapping node, refusing
// keys that are not plain strings and keys given twice.
func eachField(m *yaml.Node, fn func(key, value *yaml.Node) error) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return &ConfigError{Line: k.Line, Msg: "a key must be a plain string"}
		}
		if first, ok := seen[k.Value]; ok {
			return &ConfigError{Line: k.Line, Msg: fmt.Sprintf("%q is given twice (first on line %d)", printable(k.Value), first)}
		}
		seen[k.Value] = k.Line
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// didYouMean is " (did you mean X?)" for the known word closest to word,
// when one is within two edits; "" otherwise.
func didYouMean(word string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(word, k, bestD); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// editDistance is the edit distance of a and b, or limit when it is at
// least limit (the words compared are short; longer ones are cut off).
func editDistance(a, b string, limit int) int {
	const maxLen = 64
	if len(a) > maxLen || len(b) > maxLen {
		return limit
	}
	return min(ascii.EditDistance(a, b), limit)
}

// fillFile names file in a ConfigError built without it.
func fillFile(err error, file string) error {
	var ce *ConfigError
	if errors.As(err, &ce) && ce.File == "" {
		ce.File = file
	}
	return err
}

// badName says why name cannot be a target name ("" when it can). Names
// are label values and URL parameters: letters, digits and - _ . : only.
func badName(name string) string {
	if name == "" {
		return "is empty"
	}
	if len(name) > MaxTargetNameLength {
		return fmt.Sprintf("is longer than %d bytes", MaxTargetNameLength)
	}
	if !safeName(name) {
		return "may hold only letters, digits and - _ . :"
	}
	return ""
}

// safeName reports whether s is made of the characters a target name may
// hold. Only such text is ever echoed back from a request.
func safeName(s string) bool {
	if s == "" || len(s) > MaxTargetNameLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':':
		default:
			return false
		}
	}
	return true
}

// printable makes a config value safe to quote in one error line: short,
// without control characters, and redacted should it hold a connection
// string.
func printable(s string) string {
	const max = 80
	s = redactText(s)
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			b.WriteString("...")
			break
		}
		if r < 0x20 || r == 0x7f {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// readBounded reads a whole file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	if path == "" {
		return nil, errors.New("no file named")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

// unwrapPathError keeps a file error's operation, path and reason.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s %s: %w", pe.Op, pe.Path, pe.Err)
	}
	return err
}

// trimNewline drops the line end a secret file usually has (echo,
// Kubernetes Secrets made from files); other white space is kept, as
// passwords may hold it.
func trimNewline(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// NormalizeDNSServer accepts IP:PORT, or an IP alone (port 53). A name is
// refused: finding the DNS server by name would ask the very resolver it
// replaces.
func NormalizeDNSServer(s string) (string, bool) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = s, "53"
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			host = s[1 : len(s)-1]
		}
	}
	ip := net.ParseIP(host)
	if host == "localhost" {
		ip = net.IPv4(127, 0, 0, 1)
	}
	if ip == nil {
		return "", false
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", false
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(p)), true
}
