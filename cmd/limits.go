package cmd

import (
	"context"
	"os"
	"runtime/debug"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
)

// memoryLimit is the soft heap limit mongoconn starts under (DESIGN.md §6
// budgets 30 MiB of RSS for any command): the collector works harder near
// it instead of letting the heap double. Checking several targets at once
// raises it by what the targets in flight keep live (targetSlots), so
// that the collector never runs back to back under a limit the work
// itself exceeds. GOMEMLIMIT, when set, wins.
const memoryLimit = 20 << 20

// processFiles is how many descriptors the process keeps for itself
// beside its targets: standard streams, the runtime's epoll and eventfd,
// the cgroup files it watches (7 in all, measured with strace), a
// --targets file while it is read, and margin.
const processFiles = 24

// limitMemory sets the starting soft memory limit and returns the
// function that raises it, nil when GOMEMLIMIT is set.
func limitMemory() func(int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	debug.SetMemoryLimit(memoryLimit)
	return func(n int64) { debug.SetMemoryLimit(n) }
}

// targetSlots admits targets checked at once: at most concurrency of
// them, and no more than the open-file limit leaves descriptors for, each
// target weighing its footprint (diagnose.TargetFootprint). While targets
// run it raises the soft memory limit to cover the memory they keep live.
type targetSlots struct {
	count chan struct{}
	// files holds the descriptors targets may use; nil when the
	// open-file limit is unknown.
	files     *semaphore.Weighted
	fileSlots int64
	// setMemory raises the memory limit; nil leaves it alone.
	setMemory func(int64)

	mu        sync.Mutex
	inFlight  int64 // memory of the targets running now
	memRaised int64 // the highest limit set so far
}

// newTargetSlots admits up to concurrency targets at once within the
// open-file limit openFiles (0 when unknown).
func newTargetSlots(concurrency int, openFiles uint64, setMemory func(int64)) *targetSlots {
	s := &targetSlots{count: make(chan struct{}, concurrency), setMemory: setMemory, memRaised: memoryLimit}
	if openFiles > 0 {
		s.fileSlots = max(int64(openFiles)-processFiles, 1)
		s.files = semaphore.NewWeighted(s.fileSlots)
	}
	return s
}

// acquire waits until the target of uri may run, and returns the
// function that frees its slot. A string that cannot be parsed weighs
// nothing: it never reaches the network. It fails only when ctx ends.
func (s *targetSlots) acquire(ctx context.Context, uri string) (func(), error) {
	select {
	case s.count <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var fp diagnose.Footprint
	if t, err := connstr.ParseTarget(uri); err == nil {
		fp = diagnose.TargetFootprint(t)
	}
	files := int64(fp.Files)
	if s.files != nil && files > 0 {
		// One target larger than the whole budget runs alone.
		files = min(files, s.fileSlots)
		if err := s.files.Acquire(ctx, files); err != nil {
			<-s.count
			return nil, err
		}
	}
	s.addMemory(fp.Memory)
	return func() {
		s.addMemory(-fp.Memory)
		if s.files != nil && files > 0 {
			s.files.Release(files)
		}
		<-s.count
	}, nil
}

// addMemory counts memory in or out of flight and raises the soft memory
// limit when the targets running now need more than it allows. It never
// lowers the limit: the heap a finished target leaves is collected anyway,
// and the next target needs the room again.
func (s *targetSlots) addMemory(n int64) {
	if s.setMemory == nil || n == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight += n
	if want := memoryLimit + s.inFlight; want > s.memRaised {
		s.memRaised = want
		s.setMemory(want)
	}
}

// openFiles is the open-file limit targets share, 0 when unknown.
func (f *Factory) openFiles() uint64 {
	limit := f.OpenFileLimit
	if limit == nil {
		limit = openFileLimit
	}
	if n, ok := limit(); ok {
		return n
	}
	return 0
}
