package connstr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/internal/ascii"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
)

// maxWarnings caps the evidence lines of each warning finding: past a few
// dozen problems, more lines help nobody.
const maxWarnings = 32

// warnList is the evidence and fixes of one warning finding.
type warnList struct {
	more     int // warnings past maxWarnings
	warnings []string
	fixes    []string
}

func (w *warnList) add(evidence, fix string) {
	if len(w.warnings) >= maxWarnings {
		w.more++
		return
	}
	w.warnings = append(w.warnings, evidence)
	if fix != "" {
		w.fixes = append(w.fixes, fix)
	}
}

// finding returns the list as one finding of id, nil when it is empty.
func (w *warnList) finding(id, suggested string) []report.Finding {
	if len(w.warnings) == 0 {
		return nil
	}
	evidence := w.warnings
	if w.more > 0 {
		evidence = append(evidence, fmt.Sprintf("and %d more problems with options", w.more))
	}
	f := catalogue.NewFinding(id, evidence...)
	if f.Cause == "" {
		f.Cause = uriCause(id)
	}
	f.Fixes = append(append([]string(nil), w.fixes...), f.Fixes...)
	f.SuggestedURI = suggested
	return []report.Finding{f}
}

// linter checks option values and combinations.
type linter struct {
	p *connParts
	// unknown are keys drivers do not know (uri.unknown-option); values
	// are known options whose values drivers ignore (uri.invalid-value).
	unknown, values warnList
	renames         map[*rawOption]string
}

// warn records an option drivers do not know (uri.unknown-option).
func (l *linter) warn(o *rawOption, evidence, fix string) {
	if o != nil {
		o.ignored = true
	}
	l.unknown.add(evidence, fix)
}

// warnValue records a known option whose value drivers ignore
// (uri.invalid-value), with the value that corrects it: fixed (ok) or
// none (the pair is best left out).
func (l *linter) warnValue(o *rawOption, evidence, fix string) {
	if o != nil {
		o.ignored = true
	}
	l.values.add(evidence, fix)
}

// findings returns the warnings: uri.unknown-option for keys drivers do
// not know, uri.invalid-value for values they ignore, each suggesting the
// corrected string when it differs from the input.
func (l *linter) findings() []report.Finding {
	suggested := ""
	if l.cleanup() {
		suggested = l.corrected(true)
	}
	out := l.unknown.finding(catalogue.IDURIUnknownOption, suggested)
	return append(out, l.values.finding(catalogue.IDURIInvalidValue, suggested)...)
}

// corrected is the connection string with misspelt keys renamed, values
// corrected where the correction is known, pairs drivers ignore (invalid
// or empty values without a correction) and pairs mongoconn applies itself
// (maxStalenessSeconds=-1) left out, and a '/' before the options. With
// redacted, secrets are ****; without, it holds the password.
func (l *linter) corrected(redacted bool) string {
	return l.p.rewrite(Edit{}, rewriteMode{redacted: redacted, fix: l})
}

// correctedPair is one pair of the corrected string: its key renamed when
// misspelt, its value the correction or the normalised value.
func (l *linter) correctedPair(o *rawOption, redacted bool) string {
	p := l.p
	key := p.text(o.keySpan.Start, o.keySpan.End, redacted)
	if name, ok := l.renames[o]; ok {
		key = name
	}
	value := p.text(o.valueSpan.Start, o.valueSpan.End, redacted)
	switch {
	case o.hasFix:
		value = escapeQueryValue(o.fix)
	case o.norm != "" && !o.secret:
		value = o.norm
	}
	return key + "=" + value
}

// cleanup reports whether the suggested string differs from the input:
// a key is renamed, a value corrected or an ignored pair left out.
func (l *linter) cleanup() bool {
	if len(l.renames) > 0 {
		return true
	}
	for _, o := range l.p.options {
		if o.hasFix || o.ignored && o.drop {
			return true
		}
	}
	return false
}

// where says where an option is, for evidence.
func (l *linter) where(o *rawOption) string {
	return fmt.Sprintf("at position %d", l.p.mapPos(o.keySpan.Start))
}

// shown is an option value fit for evidence (quoted; **** for secrets).
func shown(o *rawOption) string {
	if o.secret {
		return redact.RedactedSecret
	}
	return strconv.Quote(shorten(o.value, 60))
}

// lintOptions checks every option and the combinations the
// specifications forbid.
func (l *linter) lintOptions() error {
	p := l.p
	for _, o := range p.options {
		if err := l.lintOption(o); err != nil {
			return err
		}
	}
	if err := l.lintRepeats(); err != nil {
		return err
	}
	return l.lintCombinations()
}

func (l *linter) lintOption(o *rawOption) error {
	p := l.p
	d := o.def
	if d == nil {
		if len(l.unknown.warnings) >= maxWarnings {
			l.warn(o, "", "")
			return nil
		}
		name, note := suggestOption(o.key)
		ev := fmt.Sprintf("unknown option %q %s: drivers ignore it", shorten(o.key, 60), l.where(o))
		fix := fmt.Sprintf("remove %s, which no driver reads", shorten(o.key, 60))
		if name != "" {
			ev += fmt.Sprintf("; did you mean %s?", name)
			fix = fmt.Sprintf("rename %s to %s", shorten(o.key, 60), name)
			if l.renames == nil {
				l.renames = map[*rawOption]string{}
			}
			l.renames[o] = name
		}
		if note != "" {
			fix += " (" + note + ")"
		}
		l.warn(o, ev, fix)
		return nil
	}
	if d.SRVOnly && !p.srv {
		return p.errAt(catalogue.IDURIInvalid, o.keySpan.Start, fmt.Sprintf("%s is allowed only in mongodb+srv:// connection strings", d.Name),
			fmt.Sprintf("remove %s, or use mongodb+srv://", d.Name))
	}
	if o.value == "" {
		switch d.Kind {
		case kindTags:
			return nil // an empty tag set matches any member
		}
		if d.Name == "authSource" {
			return p.errAt(catalogue.IDURIInvalid, o.valueSpan.Start, "authSource is empty", "write authSource=<database> (usually admin), or remove it")
		}
		o.drop = true
		l.warnValue(o, fmt.Sprintf("option %s %s has an empty value: drivers ignore it", o.key, l.where(o)),
			fmt.Sprintf("give %s a value, or remove it", d.Name))
		return nil
	}
	switch d.Kind {
	case kindBool:
		switch ascii.Lower(o.value) {
		case "true", "false":
			o.norm = ascii.Lower(o.value)
		default:
			o.drop = true
			fix := fmt.Sprintf("write %s=true or %s=false", d.Name, d.Name)
			if v, ok := boolCorrection(o.value); ok {
				o.correct(v)
				fix = fmt.Sprintf("write %s=%s", d.Name, v)
			}
			l.warnValue(o, fmt.Sprintf("option %s %s has the value %s: it must be true or false, so drivers ignore it", o.key, l.where(o), shown(o)), fix)
		}
	case kindInt:
		l.lintInt(o)
	case kindMaxStaleness:
		n, err := strconv.Atoi(o.value)
		switch {
		case err != nil || n < -1:
			o.drop = true
			l.warnValue(o, fmt.Sprintf("option %s %s has the value %s: it must be -1 (no limit) or a number of seconds of at least 90, so drivers ignore it", o.key, l.where(o), shown(o)),
				fmt.Sprintf("write %s=90 or more, or remove it", d.Name))
		case n == -1:
			o.drop = true // -1 is the default: no limit.
		case n < 90:
			o.correct("90")
			l.warnValue(nil, fmt.Sprintf("option %s %s is %d: drivers refuse a maximum staleness under 90 seconds when selecting a replica-set member", o.key, l.where(o), n),
				fmt.Sprintf("write %s=90 or more", d.Name))
		}
	case kindEnum:
		if v, ok := enumValue(d, o.value); ok {
			o.norm = v
			return nil
		}
		o.drop = true
		fix := fmt.Sprintf("write %s=%s", d.Name, d.Enum[0])
		if v := nearest(o.value, d.Enum); v != "" {
			o.correct(v)
			fix = fmt.Sprintf("write %s=%s", d.Name, v)
		}
		l.warnValue(o, fmt.Sprintf("option %s %s has the value %s: it must be one of %s, so drivers ignore it", o.key, l.where(o), shown(o), strings.Join(d.Enum, ", ")), fix)
	case kindReadPreference:
		if _, ok := enumValue(d, o.value); !ok {
			hint := "use one of " + strings.Join(d.Enum, ", ")
			if s := nearest(o.value, d.Enum); s != "" {
				hint = fmt.Sprintf("did you mean readPreference=%s? (modes: %s)", s, strings.Join(d.Enum, ", "))
			}
			return p.errAt(catalogue.IDURIInvalid, o.valueSpan.Start, fmt.Sprintf("unknown read preference %s", shown(o)), hint)
		}
	case kindAuthMechanism:
		ok := false
		for _, m := range authMechanisms {
			ok = ok || strings.EqualFold(m, o.value)
		}
		if !ok {
			hint := "use one of " + strings.Join(authMechanisms[:], ", ")
			if strings.EqualFold(o.value, "MONGODB-CR") {
				hint = "MONGODB-CR was removed in MongoDB 4.0: use SCRAM-SHA-256 (or leave authMechanism out to negotiate)"
			} else if s := nearest(o.value, authMechanisms[:]); s != "" {
				hint = fmt.Sprintf("did you mean authMechanism=%s?", s)
			}
			return p.errAt(catalogue.IDURIInvalid, o.valueSpan.Start, fmt.Sprintf("unknown authentication mechanism %s", shown(o)), hint)
		}
	case kindKeyValues:
		for _, pair := range strings.Split(o.value, ",") {
			k, _, found := strings.Cut(pair, ":")
			if !found || k == "" {
				o.drop = true
				l.warnValue(o, fmt.Sprintf("option %s %s is not a list of KEY:value pairs separated by ',' (a ',' inside a value?): drivers ignore it", o.key, l.where(o)),
					"write authMechanismProperties=KEY:value,KEY2:value2; a value cannot contain ','")
				return nil
			}
		}
	case kindTags:
		for _, pair := range strings.Split(o.value, ",") {
			if strings.Count(pair, ":") != 1 || strings.HasPrefix(pair, ":") {
				o.drop = true
				l.warnValue(o, fmt.Sprintf("option %s %s has the value %s: it must be tag:value pairs separated by ',', so drivers ignore it", o.key, l.where(o), shown(o)),
					"write readPreferenceTags=dc:ny,rack:1")
				return nil
			}
		}
	case kindList:
		for _, c := range strings.Split(o.value, ",") {
			switch c {
			case "snappy", "zlib", "zstd", "noop":
			default:
				l.warnValue(nil, fmt.Sprintf("compressor %q %s is not one drivers know (snappy, zlib, zstd): it is ignored", shorten(c, 40), l.where(o)),
					"list compressors from snappy, zlib and zstd")
			}
		}
	case kindW:
		if n, err := strconv.Atoi(o.value); err == nil && n < 0 {
			o.drop = true
			l.warnValue(o, fmt.Sprintf("option w %s is %d: it must be a number of at least 0 or a tag such as majority, so drivers ignore it", l.where(o), n),
				"write w=majority or w=1")
		}
	case kindSRVServiceName:
		if len(o.value) > 62 || !validServiceName(o.value) {
			return p.errAt(catalogue.IDURIInvalid, o.valueSpan.Start, fmt.Sprintf("srvServiceName %s is not a valid SRV service name (letters, digits and '-', at most 62)", shown(o)),
				"write srvServiceName=mongodb, or the service name your DNS publishes")
		}
	}
	return nil
}

// lintInt checks an integer option against its bounds.
func (l *linter) lintInt(o *rawOption) {
	d := o.def
	n, err := strconv.ParseInt(o.value, 10, 64)
	limit := int64(1<<31 - 1)
	if d.Name == "wTimeoutMS" {
		limit = 1<<63 - 1
	}
	if d.Max != 0 {
		limit = d.Max
	}
	if err == nil && n >= d.Min && n <= limit {
		return
	}
	o.drop = true
	what := fmt.Sprintf("a number from %d to %d", d.Min, limit)
	if d.Max == 0 {
		what = fmt.Sprintf("a number of at least %d", d.Min)
	}
	if d.Unit != "" {
		what += " (" + d.Unit + ")"
	}
	fix := fmt.Sprintf("write %s as %s, or remove it", d.Name, what)
	if v, ok := intCorrection(d, o.value, limit); ok {
		o.correct(v)
		fix = fmt.Sprintf("write %s=%s", d.Name, v)
	}
	l.warnValue(o, fmt.Sprintf("option %s %s has the value %s: it must be %s, so drivers ignore it", o.key, l.where(o), shown(o), what), fix)
}

// lintRepeats reports options given more than once.
func (l *linter) lintRepeats() error {
	p := l.p
	groups := map[string][]*rawOption{}
	var order []string
	for _, o := range p.options {
		if o.def == nil {
			continue
		}
		g := ascii.Lower(o.def.canonical())
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], o)
	}
	for _, g := range order {
		opts := groups[g]
		if len(opts) < 2 || opts[0].def.Kind == kindTags {
			continue
		}
		name := opts[0].def.canonical()
		if strings.HasPrefix(name, "proxy") {
			return p.errAt(catalogue.IDURIInvalid, opts[1].keySpan.Start, fmt.Sprintf("%s is given more than once", name), fmt.Sprintf("keep one %s", name))
		}
		if name == "tls" {
			if err := l.lintTLSValues(opts); err != nil {
				return err
			}
			continue
		}
		var live []*rawOption
		for _, o := range opts {
			if !o.drop {
				live = append(live, o)
			}
		}
		last := opts[len(opts)-1]
		used := ""
		if len(live) > 0 {
			last = live[len(live)-1]
			used = fmt.Sprintf("; the Go driver uses the last one, %s", shown(last))
		}
		for _, o := range opts {
			if o != last {
				o.ignored = true
			}
		}
		l.warnValue(nil, fmt.Sprintf("option %s is given %d times (first %s): which one wins is not defined by the connection-string specification%s", name, len(opts), l.where(opts[0]), used),
			fmt.Sprintf("keep one %s", name))
	}
	return nil
}

// lintTLSValues applies the URI options rule: every tls and ssl must
// have the same value.
func (l *linter) lintTLSValues(opts []*rawOption) error {
	var first *rawOption
	for _, o := range opts {
		if o.drop {
			continue
		}
		if first == nil {
			first = o
			continue
		}
		if o.norm != first.norm {
			return l.p.errAt(catalogue.IDURIInvalid, o.keySpan.Start, fmt.Sprintf("%s=%s conflicts with %s=%s: every tls and ssl option must have the same value", o.key, o.norm, first.key, first.norm),
				"keep one of them: tls=true or tls=false")
		}
	}
	return nil
}

// live returns the last valid occurrence of the option named name.
func (p *connParts) live(name string) *rawOption {
	var found *rawOption
	g := ascii.Lower(name)
	for _, o := range p.options {
		if o.def != nil && !o.drop && ascii.Lower(o.def.canonical()) == g {
			found = o
		}
	}
	return found
}

func (o *rawOption) isTrue() bool { return o != nil && o.norm == "true" }

// lintCombinations applies the rules of the URI options, seed-list,
// load-balancer, SOCKS5, server-selection and auth specifications that
// involve several options.
func (l *linter) lintCombinations() error {
	p := l.p
	later := func(a, b *rawOption) *rawOption {
		if a.keySpan.Start > b.keySpan.Start {
			return a
		}
		return b
	}
	// Insecure TLS options that must not be combined.
	tlsPairs := [][2]string{
		{"tlsInsecure", "tlsAllowInvalidCertificates"},
		{"tlsInsecure", "tlsAllowInvalidHostnames"},
		{"tlsInsecure", "tlsDisableOCSPEndpointCheck"},
		{"tlsInsecure", "tlsDisableCertificateRevocationCheck"},
		{"tlsAllowInvalidCertificates", "tlsDisableOCSPEndpointCheck"},
		{"tlsAllowInvalidCertificates", "tlsDisableCertificateRevocationCheck"},
		{"tlsDisableOCSPEndpointCheck", "tlsDisableCertificateRevocationCheck"},
	}
	for _, pair := range tlsPairs {
		a, b := p.live(pair[0]), p.live(pair[1])
		if a == nil || b == nil {
			continue
		}
		o := later(a, b)
		keep := pair[0]
		if pair[0] == "tlsInsecure" {
			keep = pair[1] + " (tlsInsecure relaxes everything it does and more)"
		}
		return p.errAt(catalogue.IDURIInvalid, o.keySpan.Start, fmt.Sprintf("%s and %s cannot both be given (whatever their values)", pair[0], pair[1]),
			"keep only "+keep)
	}
	direct := p.live("directConnection")
	directOn := direct.isTrue()
	if c := p.live("connect"); direct == nil && c != nil && c.norm == "direct" {
		direct, directOn = c, true
	}
	if directOn {
		if len(p.hosts) > 1 {
			e := p.errAt(catalogue.IDURIDirectMultipleHosts, direct.keySpan.Start, fmt.Sprintf("directConnection=true needs exactly one host; this string has %d", len(p.hosts)),
				"connect to one member with directConnection=true, or remove directConnection=true to use the whole seed list")
			e.SuggestedURI = p.red(0, p.hostsSpan.Start) + p.raw[p.hosts[0].bspan.Start:p.hosts[0].bspan.End] + p.red(p.hostsSpan.End, len(p.raw))
			return e
		}
		if p.srv {
			e := p.errAt(catalogue.IDURIDirectMultipleHosts, direct.keySpan.Start, "directConnection=true cannot be used with mongodb+srv: the SRV records may list several hosts",
				"remove directConnection=true, or use mongodb://host:port/?directConnection=true with one host of the seed list")
			return e
		}
	}
	lb := p.live("loadBalanced")
	if lb.isTrue() {
		switch {
		case len(p.hosts) > 1:
			return p.errAt(catalogue.IDURIInvalid, lb.keySpan.Start, "loadBalanced=true needs exactly one host (the load balancer)", "name only the load balancer's address, or remove loadBalanced=true")
		case p.live("replicaSet") != nil:
			return p.errAt(catalogue.IDURIInvalid, p.later(lb, p.live("replicaSet")), "loadBalanced=true cannot be combined with replicaSet", "remove replicaSet (or loadBalanced)")
		case directOn:
			return p.errAt(catalogue.IDURIInvalid, p.later(lb, direct), "loadBalanced=true cannot be combined with directConnection=true", "remove directConnection=true (or loadBalanced)")
		}
	}
	if m := p.live("srvMaxHosts"); m != nil {
		if n, _ := strconv.Atoi(m.value); n > 0 {
			if rs := p.live("replicaSet"); rs != nil {
				return p.errAt(catalogue.IDURIInvalid, p.later(m, rs), "srvMaxHosts greater than 0 cannot be combined with replicaSet", "remove replicaSet, or set srvMaxHosts=0")
			}
			if lb.isTrue() {
				return p.errAt(catalogue.IDURIInvalid, p.later(m, lb), "srvMaxHosts greater than 0 cannot be combined with loadBalanced=true", "remove srvMaxHosts, or set srvMaxHosts=0")
			}
		}
	}
	if err := l.lintProxy(); err != nil {
		return err
	}
	if err := l.lintAuth(); err != nil {
		return err
	}
	if err := l.lintReadPreference(); err != nil {
		return err
	}
	minPool, maxPool := p.live("minPoolSize"), p.live("maxPoolSize")
	if minPool != nil && maxPool != nil {
		lo, _ := strconv.Atoi(minPool.value)
		hi, _ := strconv.Atoi(maxPool.value)
		if hi != 0 && lo > hi {
			return p.errAt(catalogue.IDURIInvalid, p.later(minPool, maxPool), fmt.Sprintf("minPoolSize=%d is greater than maxPoolSize=%d", lo, hi), "make minPoolSize at most maxPoolSize")
		}
	}
	if w, j := p.live("w"), p.live("journal"); w != nil && j.isTrue() && w.value == "0" {
		return p.errAt(catalogue.IDURIInvalid, p.later(w, j), "w=0 (unacknowledged writes) cannot be combined with journal=true", "remove journal=true, or use w=1")
	}
	return nil
}

// later returns the raw offset of the key of whichever option comes last.
func (p *connParts) later(a, b *rawOption) int {
	if a.keySpan.Start > b.keySpan.Start {
		return a.keySpan.Start
	}
	return b.keySpan.Start
}

func (l *linter) lintProxy() error {
	p := l.p
	host := p.live("proxyHost")
	user, pass := p.live("proxyUsername"), p.live("proxyPassword")
	for _, name := range []string{"proxyPort", "proxyUsername", "proxyPassword"} {
		if o := p.live(name); o != nil && host == nil {
			return p.errAt(catalogue.IDURIInvalid, o.keySpan.Start, name+" needs proxyHost", "add proxyHost=<SOCKS5 proxy host>, or remove "+name)
		}
	}
	if (user == nil) != (pass == nil) {
		o, missing := user, "proxyPassword"
		if o == nil {
			o, missing = pass, "proxyUsername"
		}
		return p.errAt(catalogue.IDURIInvalid, o.keySpan.Start, fmt.Sprintf("%s needs %s", o.def.Name, missing), "give both proxyUsername and proxyPassword, or neither")
	}
	for _, o := range []*rawOption{user, pass} {
		// RFC 1929 gives each a one-byte length.
		if o != nil && len(o.value) > maxSOCKS5Credential {
			return p.errAt(catalogue.IDURIInvalid, o.keySpan.Start, fmt.Sprintf("%s is longer than the %d bytes SOCKS5 allows", o.def.Name, maxSOCKS5Credential), "use a shorter "+o.def.Name)
		}
	}
	return nil
}

// lintReadPreference applies the server-selection rule: mode primary
// takes no tag sets and no maxStalenessSeconds.
func (l *linter) lintReadPreference() error {
	p := l.p
	mode := "primary"
	rp := p.live("readPreference")
	if rp != nil {
		mode = canonicalEnum(rp.def, rp.value)
	}
	if mode != "primary" {
		return nil
	}
	where := "readPreference is not set, so the mode is primary"
	if rp != nil {
		where = "readPreference=primary"
	}
	for _, o := range p.options {
		if o.def == nil || o.drop || o.def.Kind != kindTags {
			continue
		}
		if o.value == "" {
			o.drop = true
			l.warnValue(o, fmt.Sprintf("option %s %s (any member) does nothing with the primary mode (%s), and the Go driver refuses it", o.key, l.where(o), where),
				"remove the empty readPreferenceTags, or set a readPreference other than primary")
			continue
		}
		return p.errAt(catalogue.IDURIInvalid, o.keySpan.Start, "readPreferenceTags cannot be used with the primary mode ("+where+")",
			"add readPreference=primaryPreferred (or secondary, secondaryPreferred, nearest), or remove the tags")
	}
	if ms := p.live("maxStalenessSeconds"); ms != nil {
		return p.errAt(catalogue.IDURIInvalid, ms.keySpan.Start, "maxStalenessSeconds cannot be used with the primary mode ("+where+")",
			"add readPreference=secondaryPreferred (or another non-primary mode), or remove maxStalenessSeconds")
	}
	return nil
}
