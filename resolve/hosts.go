package resolve

import (
	"net"
	"strings"
)

// maxHostsFileSize bounds how much of /etc/hosts is read: a large
// ad-blocking hosts file is a few MiB, and nothing past that is worth the
// memory budget.
const maxHostsFileSize = 4 << 20

// hostsTable maps a lower-case host name to its addresses, in file order.
type hostsTable map[string][]string

// parseHosts reads a hosts(5) file: "ADDRESS NAME [ALIAS...]" per line,
// '#' starts a comment. Lines whose first field is not an IP address are
// skipped, as the C library does.
func parseHosts(text string) hostsTable {
	t := hostsTable{}
	for _, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		ip := net.ParseIP(hostsStripZone(f[0]))
		if ip == nil {
			continue
		}
		addr := ip.String()
		for _, name := range f[1:] {
			key := Normalize(name)
			if key == "" || hostsContains(t[key], addr) {
				continue
			}
			t[key] = append(t[key], addr)
		}
	}
	return t
}

// lookup returns the addresses of host, nil when the file does not list it.
func (t hostsTable) lookup(host string) []string {
	if t == nil {
		return nil
	}
	return t[Normalize(host)]
}

func hostsStripZone(s string) string {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		return s[:i]
	}
	return s
}

func hostsContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
