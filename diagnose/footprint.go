package diagnose

import "github.com/mongoconn/mongoconn/connstr"

// What one command against one target holds while it runs, so that a
// caller checking many targets at once (--targets) admits no more of them
// than the open-file limit and the memory budget allow.
const (
	// filesPerMember is the most sockets a command holds at once per
	// member: the tcp stage's connection, the raw hello probe's, and the
	// driver's monitor, its RTT monitor (servers that stream hello, 4.4
	// and newer) and the pooled connection of its ping. TestFootprint
	// measures it through the Dialer seam.
	filesPerMember = 5

	// filesPerTarget is what a target holds beyond its members: the
	// connection of the auth and Stable API probes, a DNS query's socket
	// and a file it reads (tlsCAFile, a certificate key file).
	filesPerTarget = 3

	// setMembers is how many members a replica set or a mongodb+srv
	// string is counted for when its seed list names fewer: discovery
	// reaches every member the set advertises, and three is the usual
	// size (Atlas's too).
	setMembers = 3

	// memoryPerMember is what the soft memory limit grows by per member
	// in flight. A command keeps about 150 KiB live per member: measured
	// over 256 pings of standalones at once, 60 KiB of heap and 90 KiB of
	// goroutine stacks (eight goroutines, most of them the driver's
	// client). The limit's 20 MiB base holds the rest: with 96 KiB, 256
	// targets at once stay under the 64 MiB of RSS of DESIGN.md §11, and
	// the collector runs some 30 cycles per thousand targets (gctrace),
	// where a fixed 20 MiB limit made it run 190, back to back.
	memoryPerMember = 96 << 10
)

// Footprint is the most one command against a target holds at once.
type Footprint struct {
	// Files is the number of descriptors: sockets to members and to DNS
	// servers.
	Files int
	// Memory is what the soft memory limit grows by while it runs, in
	// bytes.
	Memory int64
}

// TargetFootprint estimates the footprint of any network command against
// t from its seed list: a replica set (replicaSet=) or a mongodb+srv
// string counts at least setMembers members, a mongodb+srv string no more
// than its srvMaxHosts. A set larger than its seed list says is not known
// before the command runs; a target that still runs out of descriptors is
// local.resources, never a network finding.
func TargetFootprint(t *connstr.Target) Footprint {
	members := len(t.Hosts)
	if t.SRV || t.ReplicaSet != "" {
		members = max(members, setMembers)
	}
	if t.SRV && t.SRVMaxHosts > 0 {
		members = min(members, t.SRVMaxHosts)
	}
	members = max(members, 1)
	return Footprint{
		Files:  filesPerTarget + filesPerMember*members,
		Memory: memoryPerMember * int64(members),
	}
}
