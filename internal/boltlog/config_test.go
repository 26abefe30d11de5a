package boltlog_test

import (
	"strings"
	"testing"

	"github.com/pizzeria/pizzeria/internal/boltlog"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  boltlog.Config
		want []string // substrings of the error; none means valid
	}{
		{"minimal", boltlog.Config{Path: "x.db"}, nil},
		{"no path", boltlog.Config{}, []string{"Path"}},
		{"every problem at once", boltlog.Config{
			NackDelay: -1, OpenTimeout: -1, MaxBatchRequests: -1,
			MaxBatchBytes: -1, QueueSize: -1, ReadAhead: -1, OffsetCommitInterval: -1, Partitions: -1, MaxInFlight: -1,
		}, []string{"Path", "NackDelay", "OpenTimeout", "MaxBatchRequests", "MaxBatchBytes", "QueueSize", "ReadAhead", "OffsetCommitInterval", "Partitions", "MaxInFlight"}},
		{"too many partitions", boltlog.Config{Path: "x.db", Partitions: boltlog.MaxPartitions + 1}, []string{"Partitions"}},
		{"most partitions", boltlog.Config{Path: "x.db", Partitions: boltlog.MaxPartitions}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid config accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

func TestOpenRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	if _, err := boltlog.Open(boltlog.Config{}); err == nil {
		t.Fatal("Open without a path succeeded")
	}
}
