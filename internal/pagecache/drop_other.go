//go:build !linux

package pagecache

// dropMapped does nothing where madvise is not wired up; the kernel
// reclaims mapped pages under memory pressure by itself.
func dropMapped(uintptr, int64) error { return nil }
