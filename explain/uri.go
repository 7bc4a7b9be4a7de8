package explain

import (
	"slices"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
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

// exURIHosts returns the seeds of a connection string as written.
func exURIHosts(u string) []string {
	c, err := connstr.CutURI(u)
	if err != nil {
		return nil
	}
	return c.Hosts()
}

// exSuggestURI rewrites the connection string found in the text into the one
// that fixes finding id, when such a rewrite exists.
func exSuggestURI(id, u string) string {
	if u == "" {
		return ""
	}
	c, err := connstr.CutURI(u)
	if err != nil || len(c.Hosts()) == 0 {
		return ""
	}
	direct := []connstr.Setting{{Key: "directConnection", Value: "true"}}
	var e connstr.Edit
	switch id {
	case catalogue.IDTopologyAdvertisedUnreachable:
		if c.SRV() {
			return ""
		}
		e = connstr.Edit{KeepHosts: 1, Drop: []string{"replicaSet"}, Set: direct}
	case catalogue.IDURIDirectMultipleHosts:
		if c.SRV() {
			e = connstr.Edit{Drop: []string{"directConnection"}}
			break
		}
		e = connstr.Edit{KeepHosts: 1, Set: direct}
	case catalogue.IDURISRVWithPort:
		if !c.SRV() {
			return ""
		}
		e = connstr.Edit{SRVHost: exHostOf(c.Hosts()[0])}
	case catalogue.IDTLSServerRequiresTLS:
		e = connstr.Edit{Set: []connstr.Setting{{Key: "tls", Value: "true"}}}
	case catalogue.IDTLSServerNotTLS:
		if c.SRV() {
			return ""
		}
		e = connstr.Edit{Set: []connstr.Setting{{Key: "tls", Value: "false"}}}
	default:
		return ""
	}
	out, err := connstr.RewriteRedacted(u, e)
	if err != nil || out == u {
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
	e := connstr.Edit{Hosts: hosts}
	if atlas {
		e.Set = []connstr.Setting{{Key: "tls", Value: "true"}}
	}
	u, err := connstr.Rewrite("mongodb://", e)
	if err != nil {
		return `"$MONGODB_URI"`
	}
	return exShellQuote(u)
}

// exShellQuote quotes s for a POSIX shell.
func exShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
