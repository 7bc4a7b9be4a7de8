package diagnose

import "github.com/mongoconn/mongoconn/report"

// waiting tells Engine.Waiting that a probe starts waiting on the network
// for what; the caller calls the returned function when the wait ends.
func (x *run) waiting(stage report.Stage, address, what string) (done func()) {
	if x.e.Waiting == nil {
		return func() {}
	}
	return x.e.Waiting(stage, address, what)
}
