package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestStreamReadCountsEventsNotHeartbeats(t *testing.T) {
	tests := []struct {
		name, body  string
		wantFrames  int64
		wantDropped int64
	}{
		{"two events", "id: 1\nevent: placed\ndata: {}\n\nid: 2\ndata: {}\n\n", 2, 1},
		{"heartbeats only", ": ping\n\n: ping\n\n", 0, 1},
		{"multi-line data is one event", "data: a\ndata: b\n\n", 1, 1},
		{"CRLF line ends", "data: a\r\n\r\n", 1, 1},
		{"unterminated event", "data: a\n", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s streams
			s.read(context.Background(), io.NopCloser(strings.NewReader(tt.body)))
			if got := s.frames.Load(); got != tt.wantFrames {
				t.Errorf("frames = %d, want %d", got, tt.wantFrames)
			}
			// The server ending a stream we still read counts as a drop.
			if got := s.dropped.Load(); got != tt.wantDropped {
				t.Errorf("dropped = %d, want %d", got, tt.wantDropped)
			}
		})
	}
}
