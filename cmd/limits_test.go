package cmd

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose"
)

// TestTargetSlots admits many targets of different sizes at once and
// checks the bounds held at every moment: no more targets than the
// concurrency, no more descriptors than the open-file limit leaves (a
// target larger than the whole budget still runs), and a memory limit
// that only grows, by what the targets in flight need.
func TestTargetSlots(t *testing.T) {
	const (
		concurrency = 3
		fileSlots   = 20
	)
	uris := []string{
		"mongodb://127.0.0.1:1/",                          // one member
		"mongodb://a:1,b:1,c:1/?replicaSet=rs0",           // three
		"mongodb://" + strings.Repeat("h:1,", 9) + "h:1/", // ten: more than the budget
		"mongo://not-a-connection-string",                 // never reaches the network
	}
	weight := func(uri string) (int64, int64) {
		tg, err := connstr.ParseTarget(uri)
		if err != nil {
			return 0, 0
		}
		fp := diagnose.TargetFootprint(tg)
		return min(int64(fp.Files), fileSlots), fp.Memory
	}
	if f, _ := weight(uris[2]); f != fileSlots {
		t.Fatalf("the ten-member target weighs %d descriptors, want more than the %d of the budget", f, fileSlots)
	}

	var (
		mu                   sync.Mutex
		limits               []int64
		running, files       int64
		maxRunning, maxFiles int64
		bigRan               bool
	)
	slots := newTargetSlots(concurrency, processFiles+fileSlots, func(n int64) {
		mu.Lock()
		limits = append(limits, n)
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for i := range 60 {
		uri := uris[i%len(uris)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := slots.acquire(context.Background(), uri)
			if err != nil {
				t.Error(err)
				return
			}
			f, _ := weight(uri)
			mu.Lock()
			running++
			files += f
			maxRunning, maxFiles = max(maxRunning, running), max(maxFiles, files)
			bigRan = bigRan || f == fileSlots
			mu.Unlock()
			runtime.Gosched()
			mu.Lock()
			running--
			files -= f
			mu.Unlock()
			release()
		}()
	}
	wg.Wait()

	if maxRunning > concurrency {
		t.Errorf("%d targets at once, want at most %d", maxRunning, concurrency)
	}
	if maxFiles > fileSlots {
		t.Errorf("%d descriptors in flight, want at most %d", maxFiles, fileSlots)
	}
	if !bigRan {
		t.Error("the target larger than the budget never ran")
	}
	if len(limits) == 0 {
		t.Fatal("the memory limit was never raised")
	}
	_, most := weight(uris[2])
	for i, n := range limits {
		if i > 0 && n <= limits[i-1] {
			t.Errorf("memory limit set to %d after %d: it only grows", n, limits[i-1])
		}
		if n <= memoryLimit || n > memoryLimit+concurrency*most {
			t.Errorf("memory limit %d, want above the %d base and within what %d targets need", n, memoryLimit, concurrency)
		}
	}
}

// TestTargetSlotsUnknownLimit checks that without a known open-file limit
// only the concurrency bounds the targets, and that a cancelled wait
// gives its slot back.
func TestTargetSlotsUnknownLimit(t *testing.T) {
	slots := newTargetSlots(1, 0, nil)
	release, err := slots.acquire(context.Background(), "mongodb://"+strings.Repeat("h:1,", 99)+"h:1/")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := slots.acquire(ctx, "mongodb://h:1/"); err == nil {
		t.Fatal("a second target was admitted beside the first with a concurrency of 1")
	}
	release()
	for i := range 3 {
		release, err := slots.acquire(context.Background(), fmt.Sprintf("mongodb://h:%d/", i+1))
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
}
