package diagnose

// skipPingReason is why the driver's ping does not run once an earlier
// finding is an error: the Go driver refuses the string itself, or a raw
// stage found a problem the driver would hit.
func (x *run) skipPingReason() string {
	if r := x.t.DriverRefusal; r != nil {
		return r.Error() + ": an application built with it does not start"
	}
	return "an earlier stage found a problem the driver would hit"
}
