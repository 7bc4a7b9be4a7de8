package connstr

// DefaultMaxPoolSize is the drivers' maxPoolSize when the connection
// string sets none (the connection monitoring and pooling
// specification's default).
const DefaultMaxPoolSize = 100

// MonitorConnections is how many connections a client keeps to each
// member besides its pool: the monitor's and, with the streaming
// protocol (4.4 and later), the round-trip-time monitor's.
const MonitorConnections = 2

// PoolBudget is how many connections the clients of one connection
// string may open.
type PoolBudget struct {
	// Instances is how many processes use the string.
	Instances int
	// MaxPoolSize is the pool bound of each client per member; Unbounded
	// when the string sets maxPoolSize=0.
	MaxPoolSize uint64
	Unbounded   bool
	// PerMember is what all instances may open to one member:
	// Instances x (MaxPoolSize + MonitorConnections).
	PerMember uint64
	// Total is PerMember x members, over the deployment.
	Total uint64
}

// PoolBudgetOf computes the budget of instances processes using t to
// reach a deployment of members members.
func PoolBudgetOf(t *Target, instances, members int) PoolBudget {
	b := PoolBudget{Instances: instances, MaxPoolSize: DefaultMaxPoolSize}
	if t != nil && t.Conn != nil && t.Conn.MaxPoolSizeSet {
		b.MaxPoolSize = t.Conn.MaxPoolSize
		b.Unbounded = t.Conn.MaxPoolSize == 0
	}
	if instances < 0 {
		instances = 0
	}
	if members < 1 {
		members = 1
	}
	b.PerMember = uint64(instances) * (b.MaxPoolSize + MonitorConnections)
	b.Total = b.PerMember * uint64(members)
	return b
}

// Exceeds reports whether the instances may open more connections to one
// member than the available ones it reports. An unbounded pool always
// may.
func (b PoolBudget) Exceeds(available int64) bool {
	return b.Unbounded || available < 0 || b.PerMember > uint64(available)
}

// FittingMaxPoolSize is the largest maxPoolSize, at least 1, with which
// the instances stay within available connections per member:
// Instances x (maxPoolSize + MonitorConnections) <= available. ok is
// false when none fits, not even maxPoolSize=1: then the processes
// themselves are too many for the member, whatever their pool.
func (b PoolBudget) FittingMaxPoolSize(available int64) (size uint64, ok bool) {
	if b.Instances <= 0 || available <= 0 {
		return 0, false
	}
	per := uint64(available) / uint64(b.Instances)
	if per < MonitorConnections+1 {
		return 0, false
	}
	return per - MonitorConnections, true
}

// MaxInstances is how many processes fit within available connections per
// member with maxPoolSize=1, the smallest pool: available /
// (1 + MonitorConnections).
func MaxInstances(available int64) int64 {
	if available <= 0 {
		return 0
	}
	return available / (1 + MonitorConnections)
}
