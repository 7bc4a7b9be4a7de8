package wireprobe

import (
	"strings"
	"testing"
)

func TestUpgradePath(t *testing.T) {
	cases := []struct {
		from, to int32
		want     string
	}{
		{5, 9, "3.6 → 4.0 → 4.2 → 4.4"},
		{8, 9, "4.4"},
		{6, 7, "4.0"},
		{9, 21, "5.0 → 6.0 → 7.0"},
	}
	for _, c := range cases {
		if got := strings.Join(UpgradePath(c.from, c.to), " → "); got != c.want {
			t.Errorf("UpgradePath(%d, %d) = %q, want %q", c.from, c.to, got, c.want)
		}
	}
}
