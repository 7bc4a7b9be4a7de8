package explain

import (
	"slices"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/redact"
)

// exFirstURI returns the first connection string in text (already redacted),
// trimmed of the punctuation that usually follows one in prose.
func exFirstURI(text string) string {
	loc := redact.SchemeRE.FindStringIndex(text)
	if loc == nil {
		return ""
	}
	rest := text[loc[0]:]
	end := len(rest)
	if j := strings.IndexAny(rest, redact.URITokenEnd); j >= 0 {
		end = j
	}
	u := strings.TrimRight(rest[:end], ".,;:)]}")
	if len(u) <= loc[1]-loc[0] { // the scheme alone
		return ""
	}
	return u
}

// exURIParts splits a connection string into scheme ("mongodb://"), user
// information (with its @, or ""), hosts, path and query (without the ?).
type exURIParts struct {
	scheme, userinfo string
	hosts            []string
	path, query      string
}

func exSplitURI(u string) (exURIParts, bool) {
	loc := redact.SchemeRE.FindStringIndex(u)
	if loc == nil || loc[0] != 0 {
		return exURIParts{}, false
	}
	p := exURIParts{scheme: strings.ToLower(u[:loc[1]])}
	rest := u[loc[1]:]
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		p.userinfo, rest = rest[:at+1], rest[at+1:]
	}
	hostEnd := strings.IndexAny(rest, "/?")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	hostList := rest[:hostEnd]
	rest = rest[hostEnd:]
	for _, h := range strings.Split(hostList, ",") {
		if h != "" {
			p.hosts = append(p.hosts, h)
		}
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		p.path, p.query = rest[:q], rest[q+1:]
	} else {
		p.path = rest
	}
	return p, len(p.hosts) > 0
}

func (p exURIParts) String() string {
	var b strings.Builder
	b.WriteString(p.scheme)
	b.WriteString(p.userinfo)
	b.WriteString(strings.Join(p.hosts, ","))
	path := p.path
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	if p.query != "" {
		b.WriteString("?")
		b.WriteString(p.query)
	}
	return b.String()
}

// setOption sets key=value in the query (case-insensitively replacing an
// existing key); an empty value removes the key.
func (p *exURIParts) setOption(key, value string) {
	var kept []string
	for _, kv := range strings.Split(p.query, "&") {
		if kv == "" {
			continue
		}
		k, _, _ := strings.Cut(kv, "=")
		if strings.EqualFold(k, key) {
			continue
		}
		kept = append(kept, kv)
	}
	if value != "" {
		kept = append(kept, key+"="+value)
	}
	p.query = strings.Join(kept, "&")
}

func exURIHosts(u string) []string {
	p, ok := exSplitURI(u)
	if !ok {
		return nil
	}
	return p.hosts
}

// exSuggestURI rewrites the connection string found in the text into the one
// that fixes finding id, when such a rewrite exists.
func exSuggestURI(id, u string) string {
	if u == "" {
		return ""
	}
	p, ok := exSplitURI(u)
	if !ok {
		return ""
	}
	srv := strings.HasPrefix(p.scheme, "mongodb+srv")
	switch id {
	case catalogue.IDTopologyAdvertisedUnreachable:
		if srv {
			return ""
		}
		p.hosts = p.hosts[:1]
		p.setOption("replicaSet", "")
		p.setOption("directConnection", "true")
	case catalogue.IDURIDirectMultipleHosts:
		if srv {
			p.setOption("directConnection", "")
			break
		}
		p.hosts = p.hosts[:1]
		p.setOption("directConnection", "true")
	case catalogue.IDURISRVWithPort:
		if !srv {
			return ""
		}
		p.hosts = []string{exHostOf(p.hosts[0])}
	case catalogue.IDTLSServerRequiresTLS:
		p.setOption("ssl", "")
		p.setOption("tls", "true")
	case catalogue.IDTLSServerNotTLS:
		if srv {
			return ""
		}
		p.setOption("ssl", "")
		p.setOption("tls", "false")
	default:
		return ""
	}
	out := p.String()
	if out == u {
		return ""
	}
	return out
}

// exNextCommand is the command to run next: diagnose the connection string
// the text names, else one built from the hosts it names, else the
// environment's.
func exNextCommand(x *Explanation, atlas bool) string {
	return "mongoconn diagnose " + exNextTarget(x, atlas)
}

// exNextTarget is the connection string the next command checks, as a
// shell word: the one the text names, else one built from the hosts it
// names, else "$MONGODB_URI".
func exNextTarget(x *Explanation, atlas bool) string {
	switch {
	case x.URI != "":
		return exShellQuote(x.URI)
	case x.SRVName != "":
		return exShellQuote("mongodb+srv://" + x.SRVName + "/")
	}
	var hosts []string
	for _, m := range x.Members { // the driver's own view: the seed list or the set
		if len(hosts) < 7 && !slices.Contains(hosts, m.Address) {
			hosts = append(hosts, m.Address)
		}
	}
	for _, a := range x.Addresses {
		if len(x.Members) > 0 {
			break
		}
		if strings.Contains(a, ":") && len(hosts) < 7 {
			hosts = append(hosts, a)
		}
	}
	for _, h := range x.FailedHosts {
		if len(hosts) == 0 {
			hosts = append(hosts, h+":27017")
		}
	}
	if len(hosts) == 0 {
		return `"$MONGODB_URI"`
	}
	u := "mongodb://" + strings.Join(hosts, ",") + "/"
	if atlas {
		u += "?tls=true"
	}
	return exShellQuote(u)
}

// exShellQuote quotes s for a POSIX shell.
func exShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
