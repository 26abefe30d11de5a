package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	"github.com/pizzeria/pizzeria/projections"
)

// checkDataDir verifies every file of a stopped process's data dir: the
// embedded log, the views and the order manager's ledger, each with bbolt's
// own consistency check and the checksums of their records. It prints a
// line per file and returns an error when any is damaged.
func checkDataDir(dataDir string, stdout io.Writer) error {
	files := []struct {
		name, path string
		check      func(string) error
	}{
		{"event log", filepath.Join(dataDir, "log.db"), checkLog},
		{"views", viewsDirOf(dataDir), projections.Check},
		{"completion ledger", filepath.Join(dataDir, ledgerFile), boltstore.CheckLedger},
	}
	var damaged []error
	for _, f := range files {
		if _, err := os.Stat(f.path); os.IsNotExist(err) {
			if f.name == "event log" && fileExists(viewsDirOf(dataDir)) {
				fmt.Fprintf(stdout, "%-18s %s: DAMAGED\nthe log is missing but views built from it exist: restore it from a copy\n", f.name, f.path)
				damaged = append(damaged, fmt.Errorf("%s: %s is missing", f.name, f.path))
				continue
			}
			fmt.Fprintf(stdout, "%-18s %s: absent\n", f.name, f.path)
			continue
		}
		if err := f.check(f.path); err != nil {
			fmt.Fprintf(stdout, "%-18s %s: DAMAGED\n%v\n", f.name, f.path, err)
			damaged = append(damaged, fmt.Errorf("%s: %w", f.name, err))
			continue
		}
		fmt.Fprintf(stdout, "%-18s %s: ok\n", f.name, f.path)
	}
	if len(damaged) == 0 && fileExists(filepath.Join(dataDir, "log.db")) && fileExists(viewsDirOf(dataDir)) {
		if err := checkSameLog(dataDir); err != nil {
			fmt.Fprintf(stdout, "%-18s %s: DAMAGED\n%v\n", "views", viewsDirOf(dataDir), err)
			damaged = append(damaged, err)
		}
	}
	if len(damaged) == 0 && fileExists(filepath.Join(dataDir, "log.db")) && fileExists(filepath.Join(dataDir, ledgerFile)) {
		if err := checkLedgerLog(dataDir); err != nil {
			fmt.Fprintf(stdout, "%-18s %s: DAMAGED\n%v\n", "completion ledger", filepath.Join(dataDir, ledgerFile), err)
			damaged = append(damaged, err)
		}
	}
	if len(damaged) > 0 {
		return fmt.Errorf("%d of the files in %s are damaged: %w", len(damaged), dataDir, errors.Join(damaged...))
	}
	return nil
}

// checkLog verifies the embedded log: every record batch's checksum and
// bbolt's own check.
func checkLog(path string) error { return boltlog.Check(path, boltstore.OpenTimeout) }

func viewsDirOf(dataDir string) string { return filepath.Join(dataDir, "views") }

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// checkSameLog reports views built from another log than the one in the
// data dir.
func checkSameLog(dataDir string) error {
	logID, err := boltlog.FileID(filepath.Join(dataDir, "log.db"), boltstore.OpenTimeout)
	if err != nil {
		return err
	}
	built, err := projections.FileLogID(viewsDirOf(dataDir))
	if err != nil {
		return err
	}
	if built != "" && built != logID {
		return fmt.Errorf("%w: they name log %s, the data dir holds log %s", errOtherLog, built, logID)
	}
	return nil
}

// checkLedgerLog reports an order manager's ledger built from another log
// than the one in the data dir, or from a longer copy of it.
func checkLedgerLog(dataDir string) error {
	logPath, path := filepath.Join(dataDir, "log.db"), filepath.Join(dataDir, ledgerFile)
	built, err := boltstore.FileLedgerLogMark(path)
	if err != nil || built.ID == "" {
		return err
	}
	var now boltstore.LogMark
	now.ID, now.Ends, err = boltlog.FileMark(logPath, boltstore.OpenTimeout, slices.Collect(maps.Keys(built.Ends)))
	if err != nil {
		return err
	}
	return checkLedgerMark(built, now, path)
}
