package diagnose

import "context"

// Diagnose runs every stage against the target under one deadline.
func (e *Engine) Diagnose(ctx context.Context, t *Target) (*Report, error) {
	r, err := e.Ping(ctx, t, PingRequest{})
	if r != nil {
		r.Command = "diagnose"
	}
	return r, err
}
