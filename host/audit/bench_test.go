package audit

import (
	"errors"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
)

var regexpDigits = regexp.MustCompile(`[0-9]+`)

// BenchmarkWrite measures the call path a request pays: Write with room in
// the buffer. The writer is held still, and the benchmark empties the
// buffer itself with the timer stopped, so only Write is timed.
func BenchmarkWrite(b *testing.B) {
	blocked := newBlocker()
	l := mustOpen(b, Options{Path: filepath.Join(b.TempDir(), "audit.log"), Buffer: 1 << 12, hooks: hooks{batch: blocked.hook}})
	defer close(blocked.released)
	l.Write(record(0))
	<-blocked.entered
	r := record(1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if errors.Is(l.Write(r), ErrFull) {
			b.StopTimer()
			for len(l.ch) > 0 {
				<-l.ch
			}
			b.StartTimer()
			l.Write(r)
		}
	}
}

// BenchmarkWriteToDisk measures the whole pipeline: sealing, writing and
// fsync, up to Close. ns/op is the writer's cost per record, the inverse
// of the sustained rate; allocs/op includes the writer's.
func BenchmarkWriteToDisk(b *testing.B) {
	l := mustOpen(b, Options{Path: filepath.Join(b.TempDir(), "audit.log"), Buffer: 4096, MaxBytes: 64 << 20, MaxFiles: 2})
	r := record(1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for errors.Is(l.Write(r), ErrFull) {
			for len(l.ch) > cap(l.ch)/2 {
				runtime.Gosched() // the writer is the bottleneck: wait for it
			}
		}
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkVerify(b *testing.B) {
	path := trail(b, 10000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := Verify(path); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/record")
}
