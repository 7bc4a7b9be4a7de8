package explain

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// benchLog is an application log of about size bytes as a service writes
// it: mostly access and info lines, one driver error in about every
// hundred lines, as a Java trace, a Python traceback or a Node.js error
// object, each with its own topology id or request id as real ones have.
func benchLog(size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		sec := i % 86400
		stamp := fmt.Sprintf("2024-05-01T%02d:%02d:%02d.%03dZ", sec/3600, sec/60%60, sec%60, i%1000)
		switch {
		case i%300 == 99:
			b.WriteString(stamp[:10] + " " + stamp[11:23] + " ERROR 1 --- [http-nio-8080-exec-" + fmt.Sprint(i%16) + "] com.example.Repo : query failed\n")
			b.WriteString(javaTrace[bytes.IndexByte([]byte(javaTrace), '\n')+1:])
		case i%300 == 199:
			fmt.Fprintf(&b, "%s,%03d ERROR app: lookup %d failed\n", stamp[:10]+" "+stamp[11:19], i%1000, i)
			b.WriteString(pyTrace[bytes.IndexByte([]byte(pyTrace), '\n')+1:])
		case i%300 == 299:
			b.WriteString(stamp + " request " + fmt.Sprint(i) + " " + nodeError[len("2024-05-01T10:00:02.300Z "):])
		case i%7 == 0:
			fmt.Fprintf(&b, "%s INFO  [worker-%d] c.e.Jobs : processed batch %d of 512 items in %d ms\n", stamp, i%8, i, i%97)
		default:
			fmt.Fprintf(&b, "%s 10.1.%d.%d - - \"GET /api/v1/orders/%d?expand=items HTTP/1.1\" 200 %d \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n", stamp, i%200, i%250, i, 512+i%4096)
		}
	}
	return b.Bytes()
}

// BenchmarkReadLog measures explain --log's throughput in MB/s of log
// text (DESIGN.md §11: at least 50 MB/s) and its allocations.
func BenchmarkReadLog(b *testing.B) {
	log := benchLog(16 << 20)
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	for b.Loop() {
		sum, err := ReadLog(context.Background(), bytes.NewReader(log))
		if err != nil || sum.Matched == 0 {
			b.Fatalf("ReadLog: %v, %d matched", err, sum.Matched)
		}
	}
}
