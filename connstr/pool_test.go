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
		fitting            uint64
	}{
		{"mongodb://h/", 10, 1, 1020, 1020, 500, true, 48},
		{"mongodb://h/", 10, 3, 1020, 3060, 1500, false, 148},
		{"mongodb://h/?maxPoolSize=20", 40, 3, 880, 2640, 838859, false, 20969},
		{"mongodb://h/?maxPoolSize=20", 40, 3, 880, 2640, 500, true, 10},
		{"mongodb://h/?maxPoolSize=0", 1, 1, 2, 2, 838859, true, 838857},
		{"mongodb://h/", 1000, 1, 102000, 102000, 100, true, 1},
	}
	for _, tt := range tests {
		b := PoolBudgetOf(parse(tt.uri), tt.instances, tt.members)
		if b.PerMember != tt.perMember || b.Total != tt.total || b.Exceeds(tt.available) != tt.exceeds || b.FittingMaxPoolSize(tt.available) != tt.fitting {
			t.Errorf("%s x%d x%d members: %+v exceeds(%d)=%v fitting=%d", tt.uri, tt.instances, tt.members, b, tt.available, b.Exceeds(tt.available), b.FittingMaxPoolSize(tt.available))
		}
	}
}
