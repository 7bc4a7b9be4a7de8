package connstr

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/internal/ascii"
	"github.com/mongoconn/mongoconn/redact"
)

// Every rewrite of a connection string goes through connParts.rewrite:
// the corrected strings the findings suggest (the linter's among them),
// the mongodb:// string an SRV seed list stands for, the direct
// connection of the last stage and the strings explain suggests. What an Edit does not change stays as
// written: user information, hosts, database and the other options in
// their order. The form shown to users is masked from the parts
// themselves, so that no spelling of a secret can slip through.

// Edit is a change to a connection string, for Rewrite, RewriteRedacted
// and Target.RewriteRedacted.
type Edit struct {
	// Hosts, when not empty, replaces the seed list: host:port (IPv6 in
	// brackets, UNIX socket paths as they are), percent-encoded where a
	// seed list needs it. A mongodb+srv string becomes a mongodb:// one,
	// since its seeds are now named: srvMaxHosts and srvServiceName go,
	// and tls=true is added unless the string or Set writes tls or ssl
	// (SRV implies TLS).
	Hosts []string
	// KeepHosts, when positive and Hosts is empty, keeps only the first
	// KeepHosts seeds of the string, as written.
	KeepHosts int
	// SRVHost, when not "", replaces the host name of a mongodb+srv
	// string, which stays one. It is ignored for mongodb:// strings.
	SRVHost string
	// Drop removes options. A key matches in any case, percent-encoded or
	// not, and across the names of one option (ssl is tls). A key ending
	// in '*' removes every option whose name starts with the rest
	// ("tls*").
	Drop []string
	// Set writes options after Drop, matching keys as Drop does: the first
	// pair of the string for a key is replaced by Set's pairs for it, in
	// Set's spelling, and the string's other pairs for it are removed;
	// keys the string does not write are appended in Set's order. Several
	// settings of one key write several pairs (readPreferenceTags).
	Set []Setting
	// Defaults are written before the string's own options, each only
	// when neither the string nor Set writes it: the options of the TXT
	// record of an SRV host name, which the string's own override.
	Defaults []Setting
}

// Setting is one option to write: Key in connection-string spelling,
// Value as meant; the rewriter percent-encodes it.
type Setting struct {
	Key, Value string
}

// SchemeError says that a string is not a mongodb:// or mongodb+srv://
// connection string, so that it cannot be cut or rewritten.
type SchemeError struct {
	// Scheme is the scheme written before "://" ("" when there is none).
	Scheme string
}

func (e *SchemeError) Error() string {
	if e.Scheme == "" {
		return "not a mongodb:// or mongodb+srv:// connection string"
	}
	return fmt.Sprintf("not a mongodb:// or mongodb+srv:// connection string (scheme %q)", e.Scheme)
}

// URI is a mongodb:// or mongodb+srv:// connection string cut into its
// parts the way Rewrite reads it: leniently, judging nothing (ParseTarget
// judges).
type URI struct {
	p *connParts
}

// CutURI cuts raw into its parts. It fails, with a *SchemeError, only
// when raw does not start with mongodb:// or mongodb+srv:// (in any case).
func CutURI(raw string) (URI, error) {
	p := splitConnString(raw)
	if !p.hasScheme || raw[p.sepSpan.Start:p.sepSpan.End] != "://" {
		return URI{}, &SchemeError{}
	}
	switch scheme := ascii.Lower(raw[p.schemeSpan.Start:p.schemeSpan.End]); scheme {
	case SchemeMongoDB, SchemeMongoDBSRV:
		p.srv = scheme == SchemeMongoDBSRV
	default:
		return URI{}, &SchemeError{Scheme: raw[p.schemeSpan.Start:p.schemeSpan.End]}
	}
	return URI{p: p}, nil
}

// SRV reports whether the scheme is mongodb+srv.
func (u URI) SRV() bool { return u.p != nil && u.p.srv }

// Hosts are the seeds as written (percent-encoded, with the ports as
// written), empty ones left out.
func (u URI) Hosts() []string {
	if u.p == nil {
		return nil
	}
	return nonEmpty(strings.Split(u.p.hostsText(), ","))
}

// Pairs are the options as written (key=value, percent-encoded), in
// order, empty ones left out.
func (u URI) Pairs() []string {
	if u.p == nil {
		return nil
	}
	out := make([]string, 0, len(u.p.options))
	for _, o := range u.p.options {
		out = append(out, u.p.raw[o.bspan.Start:o.bspan.End])
	}
	return out
}

// Rewrite returns raw with e applied. The result holds the secrets of
// raw: it is for a driver, never to be shown (RewriteRedacted is).
func Rewrite(raw string, e Edit) (string, error) {
	u, err := CutURI(raw)
	if err != nil {
		return "", err
	}
	return u.p.rewrite(e, rewriteMode{}), nil
}

// RewriteRedacted is Rewrite with every secret (password, secret option
// values, AWS session token) written as ****: the form to show.
func RewriteRedacted(raw string, e Edit) (string, error) {
	u, err := CutURI(raw)
	if err != nil {
		return "", err
	}
	return u.p.rewrite(e, rewriteMode{redacted: true}), nil
}

// RewriteRedacted is the target's connection string with e applied and
// every secret written as ****. Pairs that drivers ignore for an invalid
// or empty value (and that the Go driver refuses) are left out. A Target
// not built by ParseTarget is rewritten from Raw, as RewriteRedacted
// does; "" when even that fails.
func (t *Target) RewriteRedacted(e Edit) string {
	if t.parts == nil {
		s, _ := RewriteRedacted(t.Raw, e)
		return s
	}
	return t.parts.rewrite(e, rewriteMode{liveOnly: true, redacted: true})
}

// rewriteMode says how rewrite writes what an Edit does not change.
type rewriteMode struct {
	// liveOnly leaves out the pairs the linter dropped.
	liveOnly bool
	// redacted masks every secret.
	redacted bool
	// fix writes the string's own pairs with the linter's corrections
	// (misspelt keys renamed, values corrected, ignored pairs without a
	// correction left out) and keeps the scheme's spelling: the string
	// the uri findings suggest.
	fix *linter
}

// rewrite writes the string with e applied, as m says.
func (p *connParts) rewrite(e Edit, m rewriteMode) string {
	redacted := m.redacted
	seeds := p.text(p.hostsSpan.Start, p.hostsSpan.End, redacted)
	toMongoDB := false
	switch {
	case len(e.Hosts) > 0:
		escaped := make([]string, len(e.Hosts))
		for i, h := range e.Hosts {
			escaped[i] = escapeHost(h)
		}
		seeds = strings.Join(escaped, ",")
		toMongoDB = p.srv
	case e.SRVHost != "" && p.srv:
		seeds = escapeHost(e.SRVHost)
	case e.KeepHosts > 0:
		hosts := nonEmpty(strings.Split(seeds, ","))
		seeds = strings.Join(hosts[:min(len(hosts), e.KeepHosts)], ",")
	}
	scheme := p.schemeName()
	switch {
	case toMongoDB:
		scheme = SchemeMongoDB
	case m.fix != nil:
		scheme = p.raw[p.schemeSpan.Start:p.schemeSpan.End]
	}
	out := p.assemble(scheme, seeds, p.rewritePairs(e, m, toMongoDB), redacted)
	if redacted {
		// Masked from the parts already; Redact also catches what a
		// rewritten string could only hold by mistake.
		out = redact.Redact(out)
	}
	return out
}

// rewritePairs is the query of the rewritten string: Defaults, the
// string's own pairs with Drop and Set applied, the rest of Set, and the
// tls=true of an SRV string turned into a mongodb:// one.
func (p *connParts) rewritePairs(e Edit, m rewriteMode, toMongoDB bool) []string {
	redacted := m.redacted
	write := func(s Setting) string {
		v := settingValue(s)
		if redacted && isSecretOption(s.Key) {
			v = redact.RedactedSecret
		}
		return s.Key + "=" + v
	}
	sets := map[string][]Setting{}
	var setOrder []string
	for _, s := range e.Set {
		g := optionGroup(s.Key)
		if _, ok := sets[g]; !ok {
			setOrder = append(setOrder, g)
		}
		sets[g] = append(sets[g], s)
	}
	var live []*rawOption
	written := map[string]bool{}
	for _, o := range p.options {
		if m.liveOnly && o.drop || m.fix != nil && o.drop && !o.hasFix {
			continue
		}
		live = append(live, o)
		written[optionGroup(o.lower)] = true
	}

	var pairs []string
	for _, d := range e.Defaults {
		if g := optionGroup(d.Key); !written[g] && sets[g] == nil {
			pairs = append(pairs, write(d))
		}
	}
	done := map[string]bool{}
	for _, o := range live {
		g := optionGroup(o.lower)
		if dropped(e.Drop, o.lower, g) || (toMongoDB && isSRVOnly(g)) {
			continue
		}
		if ss, ok := sets[g]; ok {
			if !done[g] {
				for _, s := range ss {
					pairs = append(pairs, write(s))
				}
				done[g] = true
			}
			continue
		}
		if m.fix != nil {
			pairs = append(pairs, m.fix.correctedPair(o, redacted))
			continue
		}
		pairs = append(pairs, p.text(o.bspan.Start, o.bspan.End, redacted))
	}
	for _, g := range setOrder {
		if !done[g] {
			for _, s := range sets[g] {
				pairs = append(pairs, write(s))
			}
		}
	}
	if toMongoDB && !written["tls"] && sets["tls"] == nil {
		pairs = append(pairs, "tls=true")
	}
	return pairs
}

// assemble writes a connection string from the user information and
// database of p, the scheme, the seed list and the query pairs given.
func (p *connParts) assemble(scheme, seeds string, pairs []string, redacted bool) string {
	var b strings.Builder
	b.WriteString(scheme)
	b.WriteString("://")
	if p.hasUserinfo {
		b.WriteString(p.text(p.restStart, p.atPos, redacted))
		b.WriteByte('@')
	}
	b.WriteString(seeds)
	b.WriteByte('/')
	b.WriteString(p.text(p.dbSpan.Start, p.dbSpan.End, redacted))
	if len(pairs) > 0 {
		b.WriteByte('?')
		b.WriteString(strings.Join(pairs, "&"))
	}
	return b.String()
}

// text is raw[start:end], with its secrets masked when redacted.
func (p *connParts) text(start, end int, redacted bool) string {
	if !redacted {
		return p.raw[start:end]
	}
	var spans []redact.Span
	for _, r := range p.redactions {
		if s, e := max(r.Start, start), min(r.End, end); s < e {
			spans = append(spans, redact.Span{Start: s - start, End: e - start})
		}
	}
	return redact.Apply(p.raw[start:end], spans)
}

// dropped reports whether an option (its lower-cased key and its group)
// is named by drop.
func dropped(drop []string, lower, group string) bool {
	for _, d := range drop {
		if prefix, ok := strings.CutSuffix(d, "*"); ok {
			if strings.HasPrefix(lower, ascii.Lower(prefix)) {
				return true
			}
		} else if optionGroup(d) == group {
			return true
		}
	}
	return false
}

// isSRVOnly reports whether an option group is allowed with mongodb+srv
// only (srvMaxHosts, srvServiceName).
func isSRVOnly(group string) bool {
	d := lookupOption(group)
	return d != nil && d.SRVOnly
}

// isSecretOption reports whether the value of an option (key as written,
// decoded) is a secret: a known secret option, or an unknown key that
// names a password, token or secret.
func isSecretOption(key string) bool {
	if d := lookupOption(ascii.Lower(key)); d != nil {
		return d.Secret
	}
	return redact.IsSecretKey(key)
}

// nonEmpty returns the non-empty strings of ss.
func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// escapeHost writes a host so that it survives in a seed list: '/' (UNIX
// sockets), ',', '%', '?' and '@' are percent-encoded.
func escapeHost(h string) string {
	if !strings.ContainsAny(h, "/,%?@") {
		return h
	}
	var b strings.Builder
	for i := 0; i < len(h); i++ {
		switch c := h[i]; c {
		case '/', ',', '%', '?', '@':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// settingValue is the value of a Setting as written in the string:
// escapeQueryValue's, with ',' percent-encoded too unless the option is a
// list of key:value pairs (readPreferenceTags, authMechanismProperties),
// where ',' separates the pairs. A driver decodes %2C back to ',' before
// it splits a list such as compressors.
func settingValue(s Setting) string {
	v := escapeQueryValue(s.Value)
	switch optionGroup(s.Key) {
	case "readpreferencetags", "authmechanismproperties":
		return v
	}
	return strings.ReplaceAll(v, ",", "%2C")
}

// escapeQueryValue percent-encodes what would end or confuse an option
// value; ':' and ',' stay readable (readPreferenceTags=dc:ny,rack:1).
func escapeQueryValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if ascii.IsAlnum(c) || strings.IndexByte("-._~:,/!$'()*@", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
