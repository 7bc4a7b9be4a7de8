package diagnose

import (
	"context"
	"sync"
)

// maxDiscoveryRounds bounds how many times discovery follows newly
// advertised members: a healthy set needs two rounds (seeds, then the
// members they list), a failover three; more is a reply loop.
const maxDiscoveryRounds = 6

// maxParallelProbes caps concurrent hello probes so that a large seed list
// does not open dozens of sockets at once.
const maxParallelProbes = 16

// memberProbe asks one address for its hello. The Server it returns has
// Reachable false and Error set when the address did not answer; its
// Address may be left empty.
type memberProbe func(ctx context.Context, addr string) Server

// discoverTopology builds the topology the way a driver does: probe the
// seeds in parallel, apply the replies by the SDAM rules in seed order,
// then probe the members they advertise, round after round, until no new
// member appears. With directConnection=true or loadBalanced=true only the
// first seed is probed.
func discoverTopology(ctx context.Context, opts topoOptions, seeds []string, probe memberProbe) *topologyView {
	s := newSDAM(opts, seeds)
	v := &topologyView{opts: opts, probed: map[string]Server{}, asked: map[string]string{}}
	for _, a := range seeds {
		ca := topoCanonical(a)
		if !s.has(ca) {
			continue
		}
		v.seeds = appendUnique(v.seeds, ca)
		if _, ok := v.asked[ca]; !ok {
			v.asked[ca] = a
		}
	}
	for round := 0; round < maxDiscoveryRounds && ctx.Err() == nil; round++ {
		var pending []string
		for _, a := range s.members() {
			if _, done := v.probed[a]; !done {
				pending = append(pending, a)
			}
		}
		if len(pending) == 0 {
			break
		}
		results := probeAll(ctx, pending, v.asked, probe)
		for i, a := range pending {
			r := results[i]
			r.Address = a
			if !r.Reachable {
				r.Kind = srvKindUnknown
			}
			v.probed[a] = r
			v.order = append(v.order, a)
			s.apply(r)
		}
	}
	v.kind, v.setName, v.gone = s.kind, s.setName, s.gone
	for _, a := range s.order {
		v.members = append(v.members, s.desc[a])
	}
	topoLatencyWindow(v.kind, v.members, opts.threshold)
	return v
}

// probeAll probes addrs in parallel (at most maxParallelProbes at once)
// and returns the results in the same order. asked gives the spelling to
// dial for a canonical address.
func probeAll(ctx context.Context, addrs []string, asked map[string]string, probe memberProbe) []Server {
	results := make([]Server, len(addrs))
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
