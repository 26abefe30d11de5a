package pagecache

import "syscall"

// dropMapped drops the resident pages of the mapping that starts at addr
// for its first size bytes (MADV_DONTNEED on a shared file mapping: the
// next access maps the page cache's page again).
func dropMapped(addr uintptr, size int64) error {
	if size <= 0 {
		return nil
	}
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, uintptr(size), syscall.MADV_DONTNEED)
	if errno != 0 {
		return errno
	}
	return nil
}
