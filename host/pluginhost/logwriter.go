package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
)

// logWriter turns what a plugin writes into host log records. The SDK writes
// slog JSON lines ("level", "msg") and go-plugin hclog JSON ("@level",
// "@message"); anything else is logged as one plain line. Writes may split
// lines anywhere, so bytes are buffered until a newline.
type logWriter struct {
	log    *slog.Logger
	stream string

	mu  sync.Mutex
	buf []byte
}

// maxLine bounds a buffered partial line: a plugin cannot grow host memory
// without limit by never writing a newline.
const maxLine = 64 << 10

func newLogWriter(log *slog.Logger, stream string) *logWriter {
	return &logWriter{log: log, stream: stream}
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxLine {
		w.emit(w.buf)
		w.buf = nil
	}
	if len(w.buf) == 0 {
		w.buf = nil // let a large spent buffer go
	}
	return len(p), nil
}

func (w *logWriter) emit(line []byte) {
	line = bytes.TrimRight(line, "\r")
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	var rec map[string]any
	if line[0] != '{' || json.Unmarshal(line, &rec) != nil {
		w.log.Info(string(line), "stream", w.stream)
		return
	}
	level := takeString(rec, "level", "@level")
	msg := takeString(rec, "msg", "@message")
	delete(rec, "time")
	delete(rec, "@timestamp")
	// The plugin's own attributes go in a group of their own, so a plugin
	// cannot pass itself off as another plugin or a host component.
	attrs := make([]slog.Attr, 0, len(rec))
	for k, v := range rec {
		attrs = append(attrs, slog.Any(k, v))
	}
	w.log.LogAttrs(context.Background(), parseLevel(level), msg, slog.Attr{Key: "attrs", Value: slog.GroupValue(attrs...)})
}

func takeString(rec map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := rec[k].(string); ok {
			delete(rec, k)
			return v
		}
	}
	return ""
}

func parseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "trace", "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error", "fatal", "panic":
		return slog.LevelError
	}
	return slog.LevelInfo
}
