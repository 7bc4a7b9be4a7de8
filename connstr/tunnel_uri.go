package connstr

import (
	"errors"
	"net/url"
	"sort"
	"strings"
)

// Edit says how to rewrite a connection string.
type Edit struct {
	// host replaces the host list when not empty.
	Host string
	// set adds or replaces options (keys in connection-string spelling;
	// matched case-insensitively).
	Set map[string]string
	// drop removes options.
	Drop []string
}

// errNotMongoURI is returned for a string that is not a mongodb:// or
// mongodb+srv:// connection string.
var errNotMongoURI = errors.New("not a mongodb:// or mongodb+srv:// connection string")

// Rewrite applies e to the connection string raw, keeping credentials,
// database and every other option as written. A mongodb+srv:// string
// with a new host becomes mongodb:// (SRV needs a name to look up, not a
// member), loses its SRV-only options and keeps the TLS that SRV implies.
// The result holds the password of raw: redact it before showing it.
func Rewrite(raw string, e Edit) (string, error) {
	var scheme, rest string
	switch {
	case strings.HasPrefix(raw, "mongodb://"):
		scheme, rest = "mongodb://", raw[len("mongodb://"):]
	case strings.HasPrefix(raw, "mongodb+srv://"):
		scheme, rest = "mongodb+srv://", raw[len("mongodb+srv://"):]
	default:
		return "", errNotMongoURI
	}
	authority, path, query := rest, "", ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority = rest[:i]
		tail := rest[i:]
		if q := strings.IndexByte(tail, '?'); q >= 0 {
			path, query = tail[:q], tail[q+1:]
		} else {
			path = tail
		}
	}
	userinfo, hosts := "", authority
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo, hosts = authority[:at+1], authority[at+1:]
	}

	type opt struct{ key, val string }
	var opts []opt
	if query != "" {
		for _, kv := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
			k, v, _ := strings.Cut(kv, "=")
			opts = append(opts, opt{k, v})
		}
	}
	drop := map[string]bool{}
	for _, k := range e.Drop {
		drop[strings.ToLower(k)] = true
	}
	set := map[string]string{}
	var setOrder []string
	for k, v := range e.Set {
		set[strings.ToLower(k)] = v
		setOrder = append(setOrder, k)
	}
	sort.Strings(setOrder)

	if e.Host != "" {
		hosts = e.Host
		if scheme == "mongodb+srv://" {
			scheme = "mongodb://"
			drop["srvmaxhosts"], drop["srvservicename"] = true, true
			hasTLS := false
			for _, o := range opts {
				if k := optionKey(o.key); k == "tls" || k == "ssl" {
					hasTLS = true
				}
			}
			if !hasTLS {
				if _, ok := set["tls"]; !ok {
					set["tls"] = "true"
					setOrder = append(setOrder, "tls")
				}
			}
		}
	}

	var out []string
	done := map[string]bool{}
	for _, o := range opts {
		k := optionKey(o.key)
		if drop[k] {
			continue
		}
		if v, ok := set[k]; ok {
			if !done[k] {
				out = append(out, o.key+"="+v)
				done[k] = true
			}
			continue
		}
		out = append(out, o.key+"="+o.val)
	}
	for _, k := range setOrder {
		lk := strings.ToLower(k)
		if !done[lk] && !drop[lk] {
			out = append(out, k+"="+set[lk])
			done[lk] = true
		}
	}
	if path == "" {
		path = "/"
	}
	u := scheme + userinfo + hosts + path
	if len(out) > 0 {
		u += "?" + strings.Join(out, "&")
	}
	return u, nil
}

// optionKey is the name an option key of a connection string stands for,
// the way the driver reads it: percent-decoded, then lower-cased, so that
// replica%53et is matched as replicaSet. A key that does not decode is
// compared as written.
func optionKey(raw string) string {
	if k, err := url.QueryUnescape(raw); err == nil {
		raw = k
	}
	return strings.ToLower(raw)
}
