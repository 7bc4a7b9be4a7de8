package diagnose

import (
	"context"

	"github.com/mongoconn/mongoconn/wireprobe"
)

// ProbeHello asks the server at addr who it is, through the engine's
// resolving dialer and under the engine's Timeout when ctx has no
// deadline (see Prober.Hello).
func (e *Engine) ProbeHello(ctx context.Context, addr string, opts wireprobe.HelloOptions) wireprobe.HelloResult {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = e.withBudget(ctx)
		defer cancel()
	}
	return wireprobe.Prober{Dialer: e.dialer(), Now: e.Now}.Hello(ctx, addr, opts)
}
