package connstr

import "testing"

func TestPoolBudget(t *testing.T) {
	parse := func(uri string) *Target {
		tg, err := ParseTarget(uri)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	tests := []struct {
		uri                string
		instances, members int
		perMember, total   uint64
		available          int64
		exceeds            bool
		fitting            uint64 // 0: none fits
	}{
		{"mongodb://h/", 10, 1, 1020, 1020, 500, true, 48},
		{"mongodb://h/", 10, 3, 1020, 3060, 1500, false, 148},
		{"mongodb://h/?maxPoolSize=20", 40, 3, 880, 2640, 838859, false, 20969},
		{"mongodb://h/?maxPoolSize=20", 40, 3, 880, 2640, 500, true, 10},
		{"mongodb://h/?maxPoolSize=0", 1, 1, 2, 2, 838859, true, 838857},
		{"mongodb://h/", 1000, 1, 102000, 102000, 100, true, 0},
		// 100 / 40 = 2 per process: not even the pool of one and its two
		// monitors (3) fit, so no maxPoolSize does.
		{"mongodb://h/", 40, 1, 4080, 4080, 100, true, 0},
		{"mongodb://h/?maxPoolSize=1", 40, 1, 120, 120, 100, true, 0},
		{"mongodb://h/?maxPoolSize=1", 40, 1, 120, 120, 120, false, 1},
		{"mongodb://h/", 40, 1, 4080, 4080, 159, true, 1},
		{"mongodb://h/", 40, 1, 4080, 4080, 160, true, 2},
		{"mongodb://h/", 1, 1, 102, 102, 0, true, 0},
	}
	for _, tt := range tests {
		b := PoolBudgetOf(parse(tt.uri), tt.instances, tt.members)
		fit, ok := b.FittingMaxPoolSize(tt.available)
		if b.PerMember != tt.perMember || b.Total != tt.total || b.Exceeds(tt.available) != tt.exceeds || fit != tt.fitting || ok != (tt.fitting > 0) {
			t.Errorf("%s x%d x%d members: %+v exceeds(%d)=%v fitting=%d,%v", tt.uri, tt.instances, tt.members, b, tt.available, b.Exceeds(tt.available), fit, ok)
		}
		if ok {
			// The size found fits, and one more does not.
			if uint64(tt.instances)*(fit+MonitorConnections) > uint64(tt.available) || uint64(tt.instances)*(fit+1+MonitorConnections) <= uint64(tt.available) {
				t.Errorf("%s x%d, %d available: maxPoolSize=%d is not the largest that fits", tt.uri, tt.instances, tt.available, fit)
			}
		}
	}
}

func TestMaxInstances(t *testing.T) {
	for _, tt := range []struct{ available, want int64 }{{100, 33}, {120, 40}, {2, 0}, {0, 0}, {-1, 0}} {
		if got := MaxInstances(tt.available); got != tt.want {
			t.Errorf("MaxInstances(%d) = %d, want %d", tt.available, got, tt.want)
		}
	}
}
