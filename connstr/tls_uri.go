package connstr

import (
	"strings"

	"github.com/mongoconn/mongoconn/redact"
)

// Corrected connection strings for the TLS, auth and Stable API findings.
// They edit the string as the user wrote it (keeping hosts, path and the
// other options in their order) and are always redacted.

// optionSynonyms maps a lower-case option to the lower-case spellings that
// mean the same thing, so that setting one replaces the others.
var optionSynonyms = map[string][]string{
	"tls":                   {"tls", "ssl"},
	"tlscafile":             {"tlscafile", "sslcertificateauthorityfile"},
	"tlscertificatekeyfile": {"tlscertificatekeyfile", "sslclientcertificatekeyfile"},
	"tlsinsecure":           {"tlsinsecure", "sslinsecure"},
}

// secretOptions are options whose values are never shown.
var secretOptions = map[string]bool{
	"tlscertificatekeyfilepassword":   true,
	"sslclientcertificatekeypassword": true,
}

// WithOptions returns raw with each key=value of kv set (replacing the
// key and its synonyms, case-insensitively), redacted.
func WithOptions(raw string, kv ...string) string {
	drop := map[string]bool{}
	var add []string
	for i := 0; i+1 < len(kv); i += 2 {
		k := strings.ToLower(kv[i])
		drop[k] = true
		for _, syn := range optionSynonyms[k] {
			drop[syn] = true
		}
		add = append(add, kv[i]+"="+escapeOptionValue(kv[i+1]))
	}
	return rewriteQuery(raw, func(k string) bool { return drop[k] }, add)
}

// WithoutTLS returns raw with every TLS option removed and tls=false,
// redacted: the string for a server that does not speak TLS.
func WithoutTLS(raw string) string {
	isTLS := func(k string) bool { return strings.HasPrefix(k, "tls") || strings.HasPrefix(k, "ssl") }
	return rewriteQuery(raw, isTLS, []string{"tls=false"})
}

// WithoutOptions returns raw without the named options, redacted.
func WithoutOptions(raw string, keys ...string) string {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[strings.ToLower(k)] = true
	}
	return rewriteQuery(raw, func(k string) bool { return drop[k] }, nil)
}

// rewriteQuery drops the options for which drop (given the lower-case key)
// is true, appends add, masks secrets and redacts the result.
func rewriteQuery(raw string, drop func(string) bool, add []string) string {
	base, query, _ := strings.Cut(raw, "?")
	var pairs []string
	for _, p := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		k, _, _ := strings.Cut(p, "=")
		lk := optionKey(k)
		if drop(lk) {
			continue
		}
		if secretOptions[lk] {
			p = k + "=****"
		}
		pairs = append(pairs, p)
	}
	pairs = append(pairs, add...)
	if i := strings.Index(base, "://"); i >= 0 && !strings.Contains(base[i+3:], "/") {
		base += "/"
	}
	if len(pairs) == 0 {
		return redact.Redact(base)
	}
	return redact.Redact(base + "?" + strings.Join(pairs, "&"))
}

// WithHost returns raw with its one host replaced by hostPort, redacted.
// It declines strings with several hosts or without a scheme.
func WithHost(raw, hostPort string) (string, bool) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return "", false
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	hostStart := strings.LastIndex(rest[:end], "@") + 1
	hosts := rest[hostStart:end]
	if hosts == "" || strings.Contains(hosts, ",") {
		return "", false
	}
	out := raw[:i+3] + rest[:hostStart] + hostPort + rest[end:]
	return rewriteQuery(out, func(string) bool { return false }, nil), true
}

// escapeOptionValue percent-encodes the characters that would end or split
// an option value.
func escapeOptionValue(v string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "=", "%3D", "?", "%3F", "#", "%23", " ", "%20", ",", "%2C").Replace(v)
}
