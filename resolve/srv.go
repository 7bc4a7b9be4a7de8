package resolve

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"

	"github.com/mongoconn/mongoconn/connstr"
)

// AtlasDomain is the domain of every MongoDB Atlas cluster host.
const AtlasDomain = ".mongodb.net"

// srvTXTAllowed are the only options a TXT record may set, lower-case, with
// their connection-string spelling.
var srvTXTAllowed = map[string]string{
	"authsource":   "authSource",
	"replicaset":   "replicaSet",
	"loadbalanced": "loadBalanced",
}

// TXTOption is one key=value pair of a TXT record.
type TXTOption struct {
	// Key is in connection-string spelling (authSource); Value is
	// percent-decoded. Raw is the pair as written in the record.
	Key   string
	Value string
	Raw   string
}

// TXTProblemKind says what is wrong with one part of a TXT record.
type TXTProblemKind int

// TXT record problems.
const (
	// TXTMalformed: the part is not key=value.
	TXTMalformed TXTProblemKind = iota + 1
	// TXTNotAllowed: the key is not one a TXT record may set.
	TXTNotAllowed
	// TXTBadValue: the value cannot be decoded or has the wrong type.
	TXTBadValue
)

// TXTProblem is one offending part of a TXT record.
type TXTProblem struct {
	Kind TXTProblemKind
	// Pair is the part as written; Key is its key (may be empty).
	Pair string
	Key  string
	// Detail says what a valid part looks like.
	Detail string
}

func (p TXTProblem) String() string {
	switch p.Kind {
	case TXTMalformed:
		return fmt.Sprintf("%q is not key=value", p.Pair)
	case TXTNotAllowed:
		return fmt.Sprintf("%q sets %s, but a TXT record may set only authSource, replicaSet and loadBalanced", p.Pair, p.Key)
	default:
		return fmt.Sprintf("%q: %s", p.Pair, p.Detail)
	}
}

// TXTError is a TXT record the specification does not accept.
type TXTError struct {
	// Record is the record's text (its strings concatenated).
	Record   string
	Problems []TXTProblem
}

func (e *TXTError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("TXT record %q: %s", e.Record, strings.Join(parts, "; "))
}

// ParseTXT parses the text of one TXT record (its strings concatenated)
// into options. Pairs are separated by '&' (or ';', as in a connection
// string). It returns the acceptable options, and a *TXTError listing
// every part the specification forbids.
func ParseTXT(text string) ([]TXTOption, error) {
	var opts []TXTOption
	var problems []TXTProblem
	for _, pair := range strings.FieldsFunc(text, func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			problems = append(problems, TXTProblem{Kind: TXTMalformed, Pair: pair, Key: k})
			continue
		}
		canon, allowed := srvTXTAllowed[strings.ToLower(k)]
		if !allowed {
			problems = append(problems, TXTProblem{Kind: TXTNotAllowed, Pair: pair, Key: k})
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			problems = append(problems, TXTProblem{Kind: TXTBadValue, Pair: pair, Key: canon, Detail: "the value is not validly percent-encoded"})
			continue
		}
		switch {
		case val == "":
			problems = append(problems, TXTProblem{Kind: TXTBadValue, Pair: pair, Key: canon, Detail: canon + " needs a value"})
			continue
		case canon == "loadBalanced" && val != "true" && val != "false":
			problems = append(problems, TXTProblem{Kind: TXTBadValue, Pair: pair, Key: canon, Detail: "loadBalanced must be true or false"})
			continue
		}
		opts = append(opts, TXTOption{Key: canon, Value: val, Raw: pair})
	}
	if len(problems) > 0 {
		return opts, &TXTError{Record: text, Problems: problems}
	}
	return opts, nil
}

// SRVDomain returns the part of an SRV host name that targets must share
// and whether the host has fewer than three labels (then the domain is the
// whole host, and targets need at least one more label).
func SRVDomain(host string) (domain string, short bool) {
	h := Normalize(host)
	labels := strings.Split(h, ".")
	if len(labels) < 3 {
		return h, true
	}
	return strings.Join(labels[1:], "."), false
}

// SRVMismatchError says an SRV target is outside the host's domain.
type SRVMismatchError struct {
	Host, Target string
	// Suffix is what the target had to end with (".example.com").
	Suffix string
	// SameAsHost is true when the target is the host itself and the host
	// has fewer than three labels.
	SameAsHost bool
}

func (e *SRVMismatchError) Error() string {
	if e.SameAsHost {
		return fmt.Sprintf("SRV target %q is the host itself; for a host with fewer than three labels every target needs one more label, ending in %q", e.Target, e.Suffix)
	}
	return fmt.Sprintf("SRV target %q does not end with %q, the domain of %s", e.Target, e.Suffix, e.Host)
}

// CheckSRVTarget applies the specification's parent-domain rule: a target
// must end with "."+domain, where domain is the host minus its first label
// when the host has three or more labels, else the whole host (so the
// target has at least one more label and is not the host itself). Case
// and trailing dots do not matter.
func CheckSRVTarget(host, target string) error {
	h, t := Normalize(host), Normalize(target)
	domain, short := SRVDomain(h)
	suffix := "." + domain
	if strings.HasSuffix(t, suffix) && len(t) > len(suffix) {
		return nil
	}
	return &SRVMismatchError{Host: h, Target: t, Suffix: suffix, SameAsHost: short && t == h}
}

// IsAtlas reports whether every host (host or host:port) is an Atlas
// host, under .mongodb.net (or .mongodb-dev.net).
func IsAtlas(hosts []string) bool {
	if len(hosts) == 0 {
		return false
	}
	for _, h := range hosts {
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		if !connstr.IsAtlasHost(h) {
			return false
		}
	}
	return true
}

// Merged is the outcome of combining TXT and URI options.
type Merged struct {
	// Options are the effective options in connection-string spelling,
	// values decoded, secrets masked: for the report.
	Options map[string]string
}

// MergeOptions combines the TXT options with the URI's: URI options
// override TXT ones (by key, case-insensitively), tls defaults to true,
// and the SRV-only options are dropped (the seed list already reflects
// them).
func MergeOptions(txt []TXTOption, uriPairs []string) Merged {
	inURI := map[string]bool{}
	for _, p := range uriPairs {
		inURI[connstr.PairKey(p)] = true
	}
	var pairs []string
	for _, o := range txt {
		if !inURI[strings.ToLower(o.Key)] {
			pairs = append(pairs, o.Raw)
		}
	}
	for _, p := range uriPairs {
		switch connstr.PairKey(p) {
		case "srvservicename", "srvmaxhosts":
			continue
		}
		pairs = append(pairs, p)
	}
	if !inURI["tls"] && !inURI["ssl"] {
		pairs = append(pairs, "tls=true")
	}
	return Merged{Options: connstr.OptionsMap(pairs)}
}

// TXTDefaults are the TXT options as the defaults of the equivalent
// mongodb:// string (connstr.Edit.Defaults): the string's own options
// override them.
func TXTDefaults(txt []TXTOption) []connstr.Setting {
	out := make([]connstr.Setting, 0, len(txt))
	for _, o := range txt {
		out = append(out, connstr.Setting{Key: o.Key, Value: o.Value})
	}
	return out
}

// SelectSeeds applies srvMaxHosts: when it is positive and smaller than the
// number of seeds, that many are picked at random (Fisher-Yates, as the
// specification recommends).
func SelectSeeds(seeds []string, maxHosts int) []string {
	out := append([]string(nil), seeds...)
	if maxHosts <= 0 || maxHosts >= len(out) {
		return out
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:maxHosts]
}
