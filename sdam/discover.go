package sdam

import (
	"context"
	"sync"

	"github.com/mongoconn/mongoconn/report"
)

// maxDiscoveryRounds bounds how many times discovery follows newly
// advertised members: a healthy set needs two rounds (seeds, then the
// members they list), a failover three; more is a reply loop.
const maxDiscoveryRounds = 6

// maxParallelProbes caps concurrent hello probes so that a large seed list
// does not open dozens of sockets at once.
const maxParallelProbes = 16

// MemberProbe asks one address for its hello. The Server it returns has
// Reachable false and Error set when the address did not answer; its
// Address may be left empty.
type MemberProbe func(ctx context.Context, addr string) report.Server

// Discover builds the topology the way a driver does: probe the
// seeds in parallel, apply the replies by the SDAM rules in seed order,
// then probe the members they advertise, round after round, until no new
// member appears. With directConnection=true or loadBalanced=true only the
// first seed is probed.
func Discover(ctx context.Context, opts Options, seeds []string, probe MemberProbe) *View {
	s := NewTopology(opts, seeds)
	v := &View{Opts: opts, Probed: map[string]report.Server{}, Asked: map[string]string{}}
	for _, a := range seeds {
		ca := Canonical(a)
		if !s.Has(ca) {
			continue
		}
		v.Seeds = report.AppendUnique(v.Seeds, ca)
		if _, ok := v.Asked[ca]; !ok {
			v.Asked[ca] = a
		}
	}
	for round := 0; round < maxDiscoveryRounds && ctx.Err() == nil; round++ {
		var pending []string
		for _, a := range s.Members() {
			if _, done := v.Probed[a]; !done {
				pending = append(pending, a)
			}
		}
		if len(pending) == 0 {
			break
		}
		results := ProbeAll(ctx, pending, v.Asked, probe)
		for i, a := range pending {
			r := results[i]
			r.Address = a
			if !r.Reachable {
				r.Kind = report.KindUnknown
			}
			v.Probed[a] = r
			v.Order = append(v.Order, a)
			s.Apply(r)
		}
	}
	v.Kind, v.SetName, v.Gone = s.Kind, s.SetName, s.Gone
	for _, a := range s.Order {
		v.Members = append(v.Members, s.Desc[a])
	}
	LatencyWindow(v.Kind, v.Members, opts.Threshold)
	return v
}

// ProbeAll probes addrs in parallel (at most maxParallelProbes at once)
// and returns the results in the same order. asked gives the spelling to
// dial for a canonical address.
func ProbeAll(ctx context.Context, addrs []string, asked map[string]string, probe MemberProbe) []report.Server {
	results := make([]report.Server, len(addrs))
	sem := make(chan struct{}, maxParallelProbes)
	var wg sync.WaitGroup
	for i, a := range addrs {
		dial := a
		if o, ok := asked[a]; ok && o != "" {
			dial = o
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = probe(ctx, dial)
		}()
	}
	wg.Wait()
	return results
}
