package connstr

import "strings"

// atlasDomainOf returns the Atlas domain host ends with ("" for none):
// production's, or the development environment's.
func atlasDomainOf(host string) string {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range [...]string{".mongodb.net", ".mongodb-dev.net"} {
		if strings.HasSuffix(h, d) && len(h) > len(d) {
			return d
		}
	}
	return ""
}

// AtlasClusterHost is the anatomy of a well-formed Atlas cluster host
// name: <cluster>.<id>.mongodb.net, or the older <cluster>-<id>.mongodb.net.
type AtlasClusterHost struct {
	// Cluster is the cluster's name as the host spells it ("cluster0").
	Cluster string
	// ID is the project's short identifier ("abcde").
	ID string
	// Domain is the Atlas domain (".mongodb.net").
	Domain string
	// Legacy is true for the <cluster>-<id> form of older projects.
	Legacy bool
}

// ParseAtlasClusterHost reads host as an Atlas cluster host name, the
// name a mongodb+srv string of Atlas names. It reports false for any
// other name, including the names of the members
// (cluster0-shard-00-00...).
func ParseAtlasClusterHost(host string) (AtlasClusterHost, bool) {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	d := atlasDomainOf(h)
	if d == "" {
		return AtlasClusterHost{}, false
	}
	labels := strings.Split(strings.TrimSuffix(h, d), ".")
	for _, l := range labels {
		if !atlasLabelOK(l) {
			return AtlasClusterHost{}, false
		}
	}
	switch len(labels) {
	case 2:
		if atlasIDOK(labels[1]) && !strings.Contains(labels[0], "-shard-") {
			return AtlasClusterHost{Cluster: labels[0], ID: labels[1], Domain: d}, true
		}
	case 1:
		i := strings.LastIndexByte(labels[0], '-')
		if i > 0 && atlasIDOK(labels[0][i+1:]) && !strings.Contains(labels[0][:i], "-shard-") {
			return AtlasClusterHost{Cluster: labels[0][:i], ID: labels[0][i+1:], Domain: d, Legacy: true}, true
		}
	}
	return AtlasClusterHost{}, false
}

// atlasLabelOK reports whether l is a host-name label (letters, digits,
// inner hyphens, at most 63 bytes).
func atlasLabelOK(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// atlasIDOK reports whether l looks like a project identifier: a few
// lower-case letters and digits (five in every Atlas name seen).
func atlasIDOK(l string) bool {
	if len(l) < 4 || len(l) > 8 {
		return false
	}
	for i := 0; i < len(l); i++ {
		if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// IsAtlasHost reports whether host (without a port) is under an Atlas
// domain.
func IsAtlasHost(host string) bool { return atlasDomainOf(host) != "" }
