package explain

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/report"
)

// exRank is how strongly a hit points at its finding as the cause of the
// failure. Findings are ordered by the strongest hit of each, so that the
// first finding is the cause the text's evidence points at, as diagnose's
// first error is the cause its probes observed.
type exRank int

const (
	// exRankSymptom: what the driver did, not why (server selection gave
	// up, the string was refused): after every cause.
	exRankSymptom exRank = iota + 1
	// exRankGeneric: a phrase many causes print ("timed out", "no such
	// host", "connection refused" without an address), or a candidate
	// that the text fits as well as the likelier one.
	exRankGeneric
	// exRankSignature: a phrase one cause prints.
	exRankSignature
	// exRankEvidence: facts of the text together name the cause beyond
	// what any one phrase says: members of a replica set description with
	// names from another network are the tunnel trap, not a mistyped host.
	exRankEvidence
)

// exSymptomIDs are the findings that say what the driver did rather than
// why: a cause found in the same text goes first.
var exSymptomIDs = []string{catalogue.IDSelectTimeout, catalogue.IDURIInvalid}

// exRuleRank is the rank of a rule's hits: a rule marked yield is the
// generic reading of a phrase that more specific rules read first.
func exRuleRank(r exRule) exRank {
	if r.yield {
		return exRankGeneric
	}
	return exRankSignature
}

// exRankIDs orders the ids of the hits: the strongest hit of each first,
// then errors before warnings (diagnose's verdict names its first error),
// then catalogue order (the order of diagnose's stages).
func exRankIDs(byID map[string][]exHit) []string {
	rank := map[string]exRank{}
	for id, hs := range byID {
		for _, h := range hs {
			r := h.rank
			if r == 0 {
				r = exRankSignature
			}
			rank[id] = max(rank[id], r)
		}
		if slices.Contains(exSymptomIDs, id) {
			rank[id] = exRankSymptom
		}
	}
	cat := exCatalogueOrder()
	ids := make([]string, 0, len(byID))
	for id := range byID {
		if _, ok := cat[id]; ok {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := cat[ids[i]], cat[ids[j]]
		switch {
		case rank[ids[i]] != rank[ids[j]]:
			return rank[ids[i]] > rank[ids[j]]
		case a.warning != b.warning:
			return !a.warning
		}
		return a.index < b.index
	})
	return ids
}

// exCatalogueEntry is where an id stands in the catalogue, and whether its
// severity is below error.
type exCatalogueEntry struct {
	index   int
	warning bool
}

// exCatalogueOrder indexes the catalogue once: Catalogue copies every
// entry, too much for each entry of a log.
var exCatalogueOrder = sync.OnceValue(func() map[string]exCatalogueEntry {
	out := map[string]exCatalogueEntry{}
	for i, e := range catalogue.Catalogue() {
		out[e.ID] = exCatalogueEntry{index: i, warning: e.Severity != report.SeverityError}
	}
	return out
})

// Ambiguity is a set of findings that the text fits alike: the same words
// come from each of these causes.
type Ambiguity struct {
	// IDs are the candidates, the likelier first.
	IDs []string
	// Tell says what tells them apart.
	Tell string
}

// ambiguous records that the text fits ids alike, the likelier first,
// and adds each other candidate that no rule gave as a generic hit with
// fact, so that every candidate is a finding.
func (s *exScan) ambiguous(tell, fact string, ids ...string) {
	for _, a := range s.ambiguities {
		if slices.Equal(a.IDs, ids) {
			return
		}
	}
	s.ambiguities = append(s.ambiguities, Ambiguity{IDs: ids, Tell: tell})
	for _, id := range ids[1:] {
		if !s.has(id) {
			s.addRanked(id, exRankGeneric, fact)
		}
	}
}

// keptAmbiguities are the ambiguities whose candidates are still findings,
// each candidate in the findings' order. A later rule may have dropped a
// candidate (an Atlas host's reset is the access list, not a server
// without TLS); when it dropped the likeliest, the one the ambiguity's
// words are about, the ambiguity goes too.
func (s *exScan) keptAmbiguities(order []string) []Ambiguity {
	var out []Ambiguity
	for _, a := range s.ambiguities {
		if !slices.Contains(order, a.IDs[0]) {
			continue
		}
		var ids []string
		for _, id := range order {
			if slices.Contains(a.IDs, id) {
				ids = append(ids, id)
			}
		}
		if len(ids) > 1 {
			out = append(out, Ambiguity{IDs: ids, Tell: a.Tell})
		}
	}
	return out
}

// exAmbiguityFacts says, on finding id, which other findings the text fits
// as well and what tells them apart.
func exAmbiguityFacts(as []Ambiguity, id string) []string {
	var out []string
	for _, a := range as {
		if !slices.Contains(a.IDs, id) {
			continue
		}
		var others []string
		for _, o := range a.IDs {
			if o != id {
				others = append(others, o)
			}
		}
		out = append(out, fmt.Sprintf("the same text comes from %s: %s", strings.Join(others, " and from "), a.Tell))
	}
	return out
}

// rankedIDs lists the ids for the verdict, the candidates of an
// ambiguity together: "a or b (the text alone cannot tell which), c".
func (x *Explanation) rankedIDs() string {
	var parts []string
	done := map[string]bool{}
	for _, f := range x.Findings {
		if done[f.ID] {
			continue
		}
		group := []string{f.ID}
		for _, a := range x.Ambiguities {
			if !slices.Contains(a.IDs, f.ID) {
				continue
			}
			for _, id := range a.IDs {
				if !done[id] && !slices.Contains(group, id) {
					group = append(group, id)
				}
			}
		}
		part := strings.Join(group, " or ")
		if len(group) > 1 {
			part += " (the text alone cannot tell which)"
		}
		for _, id := range group {
			done[id] = true
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

// causeless reports whether the explanation holds only the symptom: the
// driver gave up waiting for a server, and the text names no server's
// error, no topology that lacks a primary, nothing that tells why.
func (s *exScan) causeless(x *Explanation) bool {
	if len(x.Findings) != 1 || x.Findings[0].ID != catalogue.IDSelectTimeout {
		return false
	}
	for _, m := range s.members {
		if m.Error != "" {
			return false
		}
	}
	return true
}

// exCauselessFact is the select.timeout evidence of a text without a cause.
func exCauselessFact(next string) string {
	return "the text names no cause: the driver says only that it waited serverSelectionTimeoutMS and gave up, " +
		"and prints the same whatever failed; run " + next + ", which tests each stage (DNS, TCP, TLS, hello, " +
		"authentication, topology) and names the one that fails"
}
